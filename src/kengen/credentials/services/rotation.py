"""Rotating the password of a shared user ID (a viewing ID, A11.4): Kengen sets a fresh random one
that is handed over once, or replaces it with one nobody sees and locks the ID until its next
use. Other apps (viewing) call these services; they never touch a ``Credential`` themselves."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from kengen.audit.choices import AuditAction
from kengen.audit.services import audit_record
from kengen.core.types import Actor
from kengen.credentials.choices import CredentialEventKind, LockReason
from kengen.credentials.models import Credential
from kengen.credentials.passwords import generate_password, hash_password
from kengen.credentials.selectors import policy_for
from kengen.credentials.services._common import (
    _event,
    _generate_for,
    _lock_credential,
    _snapshot,
    password_deadline,
)
from kengen.credentials.services.temporary import IssuedSecret
from kengen.grants.models import Account


@transaction.atomic
def credential_create_locked(*, account: Account, reason: str, now: dt.datetime | None = None) -> Credential:
    """Give a user ID that has no usable password yet its credential, locked for ``reason``
    (a viewing ID until its first lending, A11.4)."""
    cred = _lock_credential(account)
    cred.locked_at = now or timezone.now()
    cred.lock_reason = LockReason(reason)
    cred.save(update_fields=["locked_at", "lock_reason", "updated_at"])
    return cred


@sensitive_variables("value")
@transaction.atomic
def credential_rotate(
    *,
    actor: Actor,
    account: Account,
    lock_reason: str = "",
    reference: str = "",
    note: str = "",
    audit: Mapping[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> IssuedSecret:
    """Replace the password of ``account`` with a fresh random one and record the rotation.

    Without ``lock_reason`` the new password is for handing over now: it meets the policy, is none
    of the recent ones, is returned once in the result and is valid for the policy's temporary
    days (never beyond the user ID's end); the ID is unlocked. With ``lock_reason`` nobody ever
    sees the new password (the result holds none) and the ID stays locked until the next
    rotation, so the password handed over before never works again.

    The caller's own audit event covers a handover; ``audit`` adds a ``credential.rotated`` event
    with these values besides the user ID's snapshot."""
    now = now or timezone.now()
    cred = _lock_credential(account)
    if lock_reason:
        value = ""
        cred.verifier = hash_password(generate_password())  # never shown to anyone
        cred.expires_at = None
        cred.locked_at = now
        cred.lock_reason = LockReason(lock_reason)
    else:
        policy = policy_for(account.system)
        value = _generate_for(cred, policy)
        cred.verifier = hash_password(value)
        cred.expires_at = min(
            now + dt.timedelta(days=policy.temporary_validity_days),
            password_deadline(account, policy, now),
        )
        cred.locked_at = None
        cred.lock_reason = ""
    cred.is_temporary = False
    cred.temporary_expires_at = None
    cred.changed_at = now
    cred.failed_attempts = 0
    cred.save()
    _event(
        account,
        CredentialEventKind.ROTATED,
        actor=actor,
        now=now,
        deadline=cred.expires_at,
        reference=reference,
        note=note,
    )
    if audit is not None:
        audit_record(
            actor=actor,
            action=AuditAction.PASSWORD_ROTATED,
            target=account,
            new={**_snapshot(account), **audit},
        )
    return IssuedSecret(credential=cred, value=value)
