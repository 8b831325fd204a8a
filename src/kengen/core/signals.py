"""Signals core sends so that higher apps can act on them without core importing those apps.

``access_refused``: a read outside the user's scope (``core.access.get_visible``) or an action a
service refused with ``PermissionDenied`` (the UI and API error mappings). The audit app records
each one as an ``ACCESS_DENIED`` event (``audit.signals``), synchronously, in the caller's
transaction. Keyword arguments: ``actor`` (a user or ``None``), ``target`` (a model instance or
``None``), ``target_label``, ``details`` (a dict: never the hidden object's content) and
``ip_address``.
"""

from __future__ import annotations

from django.dispatch import Signal

access_refused = Signal()
