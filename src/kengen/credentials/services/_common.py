"""Helpers shared by the credentials services (package-private: other apps call the public services).

Locking a user ID's ``Credential``, recording its ``CredentialEvent``, the audit snapshot, setting
and generating passwords with their history (A8.7), locks and failures (A8.4, A8.6).
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from kengen.audit.choices import AuditAction
from kengen.audit.services import audit_record
from kengen.core.exceptions import Conflict, PermissionDenied
from kengen.core.types import Actor
from kengen.credentials.choices import (
    CredentialEventKind,
    LockReason,
)
from kengen.credentials.models import (
    Credential,
    CredentialEvent,
    CredentialPolicy,
    PasswordHistory,
    RevealLink,
)
from kengen.credentials.passwords import (
    character_classes,
    generate_password,
    hash_password,
    verify_password,
)
from kengen.grants.models import Account
from kengen.roles.selectors import scope_for
from kengen.systems.choices import SystemKind
from kengen.systems.models import System
from kengen.users.models import User

#: A8.2: the administrators who may register temporary passwords for system users.
TEMPORARY_PASSWORD_SYSTEMS = (SystemKind.CORE, SystemKind.INTERMEDIATE)


def _user(actor: Actor) -> User | None:
    return actor if getattr(actor, "pk", None) else None


def _label(actor: Actor, default: str = "system") -> str:
    return str(actor) if actor is not None else default


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_current_timezone())


def password_deadline(account: Account, policy: CredentialPolicy, now: dt.datetime) -> dt.datetime:
    """When the password set at ``now`` must be changed (A8.7): after the policy's maximum age,
    and never later than the end of the user ID — for maintenance staff, the end of their
    maintenance registration (A8.8)."""
    due = now + dt.timedelta(days=policy.max_age_days)
    if account.valid_to is not None:
        due = min(due, _local_midnight(account.valid_to))
    return due


def _require_administrator(actor: Actor, system: System, clause: str) -> None:
    root = system.account_system
    if actor is None or root.id not in scope_for(actor).administered_system_ids:
        raise PermissionDenied(
            _("Only the administrator of %(system)s can do this.") % {"system": root.name}, clause=clause
        )


def _lock_credential(account: Account) -> Credential:
    cred = Credential.objects.select_for_update().filter(account=account).first()
    if cred is None:
        try:
            with transaction.atomic():
                cred = Credential.objects.create(account=account)
        except IntegrityError:  # created by a concurrent call
            pass
        cred = Credential.objects.select_for_update().get(account=account)
    return cred


def _event(
    account: Account,
    kind: str,
    *,
    actor: Actor,
    now: dt.datetime,
    deadline: dt.datetime | None = None,
    reference: str = "",
    note: str = "",
    actor_label: str | None = None,
) -> CredentialEvent:
    return CredentialEvent.objects.create(
        account=account,
        kind=kind,
        occurred_at=now,
        actor=_user(actor),
        actor_label=actor_label if actor_label is not None else _label(actor),
        deadline=deadline,
        reference=reference[:100],
        note=note[:300],
    )


def _former(policy: CredentialPolicy) -> int:
    """How many former passwords to keep: the last N include the current one (A8.7)."""
    return max(policy.history_count - 1, 0)


def _push_history(cred: Credential, policy: CredentialPolicy, now: dt.datetime) -> None:
    """Remember the outgoing password's verifier (A8.7) and forget those beyond the last N."""
    keep_n = _former(policy)
    if cred.verifier and not cred.is_temporary and keep_n:
        PasswordHistory.objects.create(
            credential=cred, verifier=cred.verifier, created_at=cred.changed_at or now
        )
    keep = list(cred.history.order_by("-created_at", "-id").values_list("id", flat=True)[:keep_n])
    cred.history.exclude(id__in=keep).delete()


@sensitive_variables("password")
def _reused(cred: Credential, policy: CredentialPolicy, password: str) -> bool:
    """True when ``password`` is the current one or another of the last N (A8.4, A8.7)."""
    if cred.verifier and verify_password(password, cred.verifier):
        return True
    former = cred.history.order_by("-created_at", "-id").values_list("verifier", flat=True)[: _former(policy)]
    return any(verify_password(password, verifier) for verifier in former)


def _snapshot(account: Account) -> dict:
    return {
        "system": account.system.code,
        "user_id": account.user_id,
        "kind": account.kind,
        "person": account.person_id,
        "holder_organization": account.holder_organization_id,
    }


def _lock(
    cred: Credential,
    reason: str,
    *,
    now: dt.datetime,
    actor: Actor = None,
    actor_label: str | None = None,
    ip_address: str | None = None,
) -> None:
    cred.locked_at = now
    cred.lock_reason = reason
    cred.save(update_fields=["locked_at", "lock_reason", "updated_at"])
    _event(
        cred.account,
        CredentialEventKind.LOCKED,
        actor=actor,
        now=now,
        note=str(LockReason(reason).label),
        actor_label=actor_label,
    )
    audit_record(
        actor=actor,
        actor_label=actor_label,
        action=AuditAction.PASSWORD_LOCKED,
        target=cred.account,
        new={**_snapshot(cred.account), "reason": reason},
        ip_address=ip_address,
    )


def _set_password(
    cred: Credential,
    policy: CredentialPolicy,
    value: str,
    *,
    now: dt.datetime,
    temporary: bool,
    keep_history: bool = True,
) -> None:
    if keep_history:
        _push_history(cred, policy, now)
    cred.verifier = hash_password(value)
    cred.is_temporary = temporary
    cred.temporary_expires_at = now + dt.timedelta(days=policy.temporary_validity_days) if temporary else None
    cred.changed_at = now
    cred.expires_at = None if temporary else password_deadline(cred.account, policy, now)
    cred.failed_attempts = 0
    cred.locked_at = None
    cred.lock_reason = ""
    cred.reminded_for = None
    cred.due_recorded_for = None
    cred.save()
    # Issue 10: a new password makes any sealed temporary copy of an earlier one worthless: erase.
    RevealLink.objects.filter(credential=cred).exclude(sealed="").update(sealed="")


def _generate_for(cred: Credential, policy: CredentialPolicy) -> str:
    """A CSPRNG password that meets the policy and is not the current or a recent one."""
    for _attempt in range(50):
        value = generate_password(policy.min_length)
        if character_classes(value) >= policy.min_character_classes and not _reused(cred, policy, value):
            return value
    raise RuntimeError("could not generate a password that meets the policy")  # pragma: no cover


def _active_account(account: Account, today: dt.date) -> None:
    if not account.is_active_on(today):
        raise Conflict(
            _("User ID %(uid)s is not in force today.") % {"uid": account.user_id}, field="account"
        )


def _record_failure(
    cred: Credential,
    policy: CredentialPolicy,
    *,
    now: dt.datetime,
    actor: Actor = None,
    actor_label: str | None = None,
    ip_address: str | None = None,
) -> bool:
    """Count a wrong password; lock at the policy's threshold. True if it is now locked."""
    cred.failed_attempts += 1
    cred.save(update_fields=["failed_attempts", "updated_at"])
    audit_record(
        actor=actor,
        actor_label=actor_label,
        action=AuditAction.PASSWORD_VERIFY_FAILED,
        target=cred.account,
        new={**_snapshot(cred.account), "failed_attempts": cred.failed_attempts},
        ip_address=ip_address,
    )
    if cred.failed_attempts >= policy.lockout_threshold:
        _lock(cred, LockReason.FAILURES, now=now, actor=actor, actor_label=actor_label, ip_address=ip_address)
        return True
    return False


def _expire_temporary_if_due(
    cred: Credential, *, now: dt.datetime, actor: Actor = None, actor_label: str | None = None
) -> bool:
    # A temporary password always has its expiry (credential_temporary_has_expiry).
    if (
        cred.is_temporary
        and cred.locked_at is None
        and cred.temporary_expires_at is not None
        and cred.temporary_expires_at <= now
    ):
        _event(
            cred.account, CredentialEventKind.TEMPORARY_EXPIRED, actor=actor, now=now, actor_label=actor_label
        )
        audit_record(
            actor=actor,
            actor_label=actor_label,
            action=AuditAction.TEMPORARY_PASSWORD_EXPIRED,
            target=cred.account,
            new=_snapshot(cred.account),
        )
        _lock(cred, LockReason.TEMPORARY_EXPIRED, now=now, actor=actor, actor_label=actor_label)
        RevealLink.objects.filter(credential=cred).exclude(sealed="").update(sealed="")  # issue 10
        return True
    return False
