"""The verify API for systems whose passwords Kengen holds: sign-in checks, changes through the
system, and the database-backed rate limits shared by every process."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from kengen.audit.choices import AuditAction
from kengen.audit.services import audit_record
from kengen.core.exceptions import Conflict, DomainError, RuleViolation
from kengen.core.models import active_on_q
from kengen.credentials.choices import VerifyResult
from kengen.credentials.models import (
    Credential,
    VerifyThrottle,
)
from kengen.credentials.passwords import (
    hash_password,
    needs_rehash,
    token_digest,
    verify_password,
)
from kengen.credentials.selectors import policy_for
from kengen.credentials.services._common import (
    _expire_temporary_if_due,
    _record_failure,
)
from kengen.credentials.services.change import password_change
from kengen.grants.models import Account, Grant
from kengen.systems.models import System

#: (attempts, seconds) per user ID and per source address.
DEFAULT_RATE_LIMITS: dict[str, tuple[int, int]] = {"account": (10, 60), "address": (60, 60)}


class Throttled(DomainError):
    """Too many verify attempts for a user ID or from an address: try again after ``retry_after``."""

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class VerifyOutcome:
    result: str
    account: Account | None = None
    permissions: tuple[tuple[str, str], ...] = ()
    expires_at: dt.datetime | None = None


def _throttle_hit(key: str, limit: int, window: int, now: dt.datetime) -> int | None:
    """Count one attempt for ``key`` in the current fixed window; the seconds to wait if over."""
    epoch = int(now.timestamp())
    bucket = epoch - epoch % window
    start = dt.datetime.fromtimestamp(bucket, tz=dt.UTC)
    with transaction.atomic():
        row = VerifyThrottle.objects.select_for_update().filter(key=key).first()
        if row is None:
            try:
                with transaction.atomic():
                    row = VerifyThrottle.objects.create(key=key, window_start=start, count=0)
            except IntegrityError:
                row = VerifyThrottle.objects.select_for_update().get(key=key)
        if row.window_start != start:
            row.window_start, row.count = start, 0
        row.count += 1
        row.save(update_fields=["window_start", "count"])
        over = row.count > limit
    return max(1, bucket + window - epoch) if over else None


def verify_throttle(*, system: System, user_id: str, ip_address: str | None, now: dt.datetime) -> None:
    """Rate limits per user ID and per source address, shared by every process (database rows).
    Raises ``Throttled`` (HTTP 429 with Retry-After) once either is exceeded."""
    limits: dict[str, tuple[int, int]] = {
        **DEFAULT_RATE_LIMITS,
        **getattr(settings, "KENGEN_VERIFY_RATE_LIMITS", {}),
    }
    # Only a digest of what was typed as the user ID is kept: people type passwords there too.
    typed = token_digest(f"{system.pk}:{user_id.strip().casefold()}")
    waits = [_throttle_hit(f"account:{typed}", *limits["account"], now)]
    if ip_address:
        waits.append(_throttle_hit(f"address:{ip_address}", *limits["address"], now))
    wait = max((w for w in waits if w), default=None)
    if wait:
        raise Throttled(_("Too many attempts. Try again in %(n)d seconds.") % {"n": wait}, retry_after=wait)


def _current_permissions(account: Account, today: dt.date) -> tuple[tuple[str, str], ...]:
    grants = (
        Grant.objects.filter(account=account)
        .filter(active_on_q(today))
        .select_related("permission__system")
        .order_by("permission__system__sort_order", "permission__sort_order")
    )
    return tuple((g.permission.system.code, g.permission.code) for g in grants)


def _verifying_account(root: System, user_id: str, today: dt.date) -> Account | None:
    qs = Account.objects.filter(system=root, user_id=user_id.strip()).select_related("system", "person")
    return (
        qs.filter(active_on_q(today)).first()
        or qs.filter(valid_from__lte=today).order_by("-valid_from").first()
    )


@sensitive_variables("password")
def password_verify(
    *,
    system: System,
    user_id: str,
    password: str,
    ip_address: str | None = None,
    now: dt.datetime | None = None,
) -> VerifyOutcome:
    """Check a sign-in for a system whose passwords Kengen holds: valid (with the user ID's
    permissions today), wrong, expired (A8.7; A8.8 registration over), must change (a temporary
    password, A8.4) or locked. Wrong passwords count towards the policy's lock threshold."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    root = system.account_system
    policy = policy_for(root)
    if not policy.holds_verifier:
        raise Conflict(
            _("Kengen does not hold the passwords of %(system)s.") % {"system": root.name}, clause="A2.6"
        )
    verify_throttle(system=root, user_id=user_id, ip_address=ip_address, now=now)
    label = f"system {root.code}"
    with transaction.atomic():
        account = _verifying_account(root, user_id, today)
        cred = Credential.objects.select_for_update().filter(account=account).first() if account else None
        if account is None or cred is None or (not cred.verifier and cred.locked_at is None):
            verify_password(password, "")  # the same work as a real check
            if account is None:  # never log what was typed as a user ID: it may be a password
                audit_record(
                    actor=None,
                    actor_label=label,
                    action=AuditAction.PASSWORD_VERIFY_FAILED,
                    target_label=f"{root.code}: unknown user ID",
                    ip_address=ip_address,
                )
            return VerifyOutcome(VerifyResult.WRONG)
        if _expire_temporary_if_due(cred, now=now, actor_label=label) or cred.locked_at is not None:
            return VerifyOutcome(VerifyResult.LOCKED, account=account)
        if not verify_password(password, cred.verifier):
            locked = _record_failure(cred, policy, now=now, actor_label=label, ip_address=ip_address)
            return VerifyOutcome(VerifyResult.LOCKED if locked else VerifyResult.WRONG, account=account)
        cred.failed_attempts = 0
        cred.last_verified_at = now
        fields = ["failed_attempts", "last_verified_at", "updated_at"]
        if needs_rehash(cred.verifier):
            cred.verifier = hash_password(password)
            fields.append("verifier")
        cred.save(update_fields=fields)
    if not account.is_active_on(today):
        return VerifyOutcome(VerifyResult.EXPIRED, account=account)
    if cred.is_temporary:
        return VerifyOutcome(VerifyResult.MUST_CHANGE, account=account, expires_at=cred.temporary_expires_at)
    if cred.expires_at is not None and cred.expires_at <= now:
        return VerifyOutcome(VerifyResult.EXPIRED, account=account, expires_at=cred.expires_at)
    return VerifyOutcome(
        VerifyResult.VALID,
        account=account,
        permissions=_current_permissions(account, today),
        expires_at=cred.expires_at,
    )


@sensitive_variables("current", "new")
def password_change_via_system(
    *,
    system: System,
    user_id: str,
    current: str,
    new: str,
    ip_address: str | None = None,
    now: dt.datetime | None = None,
) -> VerifyOutcome:
    """A system whose sign-in answered must-change (or expired) lets the user change it there:
    the same rules as the self-service change, behind the same rate limits."""
    now = now or timezone.now()
    root = system.account_system
    if not policy_for(root).holds_verifier:
        raise Conflict(
            _("Kengen does not hold the passwords of %(system)s.") % {"system": root.name}, clause="A2.6"
        )
    verify_throttle(system=root, user_id=user_id, ip_address=ip_address, now=now)
    account = _verifying_account(root, user_id, timezone.localdate(now))
    if account is None:
        verify_password(current, "")
        return VerifyOutcome(VerifyResult.WRONG)
    try:
        cred = password_change(
            actor=None,
            account=account,
            current=current,
            new=new,
            via=root.code,
            ip_address=ip_address,
            now=now,
        )
    except Conflict:
        held = Credential.objects.filter(account=account).first()
        if held is not None and held.locked_at is not None:
            return VerifyOutcome(VerifyResult.LOCKED, account=account)
        if not account.is_active_on(timezone.localdate(now)):
            return VerifyOutcome(VerifyResult.EXPIRED, account=account)
        return VerifyOutcome(VerifyResult.WRONG, account=account)
    except RuleViolation as exc:
        if exc.field == "current_password":
            held = Credential.objects.filter(account=account).first()
            locked = held is not None and held.locked_at is not None
            return VerifyOutcome(VerifyResult.LOCKED if locked else VerifyResult.WRONG, account=account)
        raise
    return VerifyOutcome(
        VerifyResult.VALID,
        account=account,
        permissions=_current_permissions(account, timezone.localdate(now)),
        expires_at=cred.expires_at,
    )
