"""Types every layer may name, core included.

``Actor`` is who performs a service: a signed-in user, or ``None`` for Kengen itself (HR imports,
profile loading, scheduled jobs, the CLI). The user model lives in ``kengen.users``, above most
apps, so it cannot be imported here; django-stubs' ``_User`` alias is resolved by its mypy plugin
to ``settings.AUTH_USER_MODEL`` (``kengen.users.models.User``) — the typing twin of a foreign key to
``settings.AUTH_USER_MODEL``. It exists only in the stubs, hence the ``TYPE_CHECKING`` import (of
Django, not of a Kengen app, so the layer contract is untouched).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from django.http import HttpRequest

if TYPE_CHECKING:
    from django.contrib.auth.models import _User

#: Kengen's user model (``kengen.users.models.User``), for the apps below ``users`` that take one.
User: TypeAlias = "_User"

#: Who performs a service: a user, or ``None`` for the system itself.
Actor: TypeAlias = "_User | None"


class AuthenticatedHttpRequest(HttpRequest):
    """The request of a view behind ``login_required``: ``request.user`` is a ``User``, never
    ``AnonymousUser`` (django-stubs' recommended pattern; an annotation, never instantiated)."""

    user: User


__all__ = ["Actor", "AuthenticatedHttpRequest", "User"]
