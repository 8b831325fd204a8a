"""Sign-in, sign-out and sign-in failure events, and the refusals core signals (``access_refused``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import models
from django.dispatch import receiver

from kengen.audit.choices import AuditAction
from kengen.audit.services import audit_record
from kengen.core.signals import access_refused
from kengen.core.types import Actor


def client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    audit_record(actor=user, action=AuditAction.LOGIN_SUCCEEDED, target=user, ip_address=client_ip(request))


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(actor=user, action=AuditAction.LOGOUT, target=user, ip_address=client_ip(request))


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    # ``credentials`` has the password already masked by Django; keep only the username.
    username = str(credentials.get("username", ""))[:150]
    audit_record(
        actor=None,
        actor_label=username or "anonymous",
        action=AuditAction.LOGIN_FAILED,
        target_label=username,
        ip_address=client_ip(request),
    )


@receiver(access_refused, dispatch_uid="kengen-audit-access-refused")
def _access_refused(
    sender: object,
    actor: Actor,
    target: models.Model | None,
    target_label: str | None,
    details: Mapping[str, Any] | None,
    ip_address: str | None,
    **kwargs: Any,
) -> None:
    audit_record(
        actor=actor,
        action=AuditAction.ACCESS_DENIED,
        target=target,
        target_label=target_label,
        new=details,
        ip_address=ip_address,
    )
