"""One way to fetch a single object for a user: in scope, or 404 — and a refusal is recorded."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from django.db import models
from django.utils.translation import gettext as _

from kengen.core.exceptions import NotFound
from kengen.core.signals import access_refused

M = TypeVar("M", bound=models.Model)


def get_visible(
    model: type[M],
    user: Any,
    *,
    action: str = "view",
    on: dt.date | None = None,
    ip_address: str | None = None,
    **lookup: Any,
) -> M:
    """The object matching ``lookup`` if ``user`` may ``action`` it, else ``NotFound``.

    Whether the object exists outside the user's scope is never revealed (A4: a security officer
    asking for another organization's person gets 404), but the attempt is written to the audit log (``core.signals.access_refused``, recorded by audit).
    """
    obj = model.objects.restrict(user, action, on=on).filter(**lookup).first()  # type: ignore[attr-defined]
    if obj is not None:
        return obj
    hidden = model._default_manager.filter(**lookup).first()
    if hidden is not None:
        audit_refusal(user, hidden, action=action, ip_address=ip_address)
    raise NotFound(_("Not found."))


def audit_refusal(user: Any, obj: Any, *, action: str, ip_address: str | None = None) -> None:
    """Record that ``user`` was refused ``action`` on ``obj`` (answered 404 or 403), without any
    content of ``obj`` (``core.signals.access_refused``, recorded by audit). Every refusal is
    recorded, also those a view decides itself."""
    access_refused.send(
        sender=type(obj),
        actor=user if getattr(user, "pk", None) else None,
        target=obj,
        target_label=f"{obj._meta.label_lower}:{obj.pk}",  # no content of what was hidden
        details={"action": action},
        ip_address=ip_address,
    )
