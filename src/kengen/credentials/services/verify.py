"""The verify API for systems whose passwords Kengen holds: sign-in checks, changes through the
system, and the database-backed rate limits (failures per user ID and per system key) shared by
every process."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
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
    SystemApiKey,
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

#: (failures, seconds) per user ID (of a system) and per system key. Only failures count: a
#: successful verify writes nothing to these counters, so a system's sign-ins never queue behind
#: one shared row. Invalid keys are throttled per key and per address before this
#: (``SystemKeyAuth``, ``kengen.users.services.bearer_sign_in``).
DEFAULT_RATE_LIMITS: dict[str, tuple[int, int]] = {"account": (10, 60), "key": (300, 60)}

#: ``last_verified_at`` is kept to this precision: a successful verify writes the credential row
#: only if it is older than this (or a count or rehash is due), never on every sign-in.
LAST_VERIFIED_PRECISION = dt.timedelta(minutes=5)


class Throttled(DomainError):
    """Too many failed verify attempts for a user ID or with a system key: try again after
    ``retry_after``."""

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class VerifyOutcome:
    result: str
    account: Account | None = None
    permissions: tuple[tuple[str, str], ...] = ()
    expires_at: dt.datetime | None = None


def _limits() -> dict[str, tuple[int, int]]:
    return {**DEFAULT_RATE_LIMITS, **getattr(settings, "KENGEN_VERIFY_RATE_LIMITS", {})}


def _throttle_keys(system: System, user_id: str, api_key: SystemApiKey | None) -> dict[str, str]:
    """``{limit name: counter key}``. Only a digest of what was typed as the user ID is kept:
    people type passwords there too."""
    typed = token_digest(f"{system.pk}:{user_id.strip().casefold()}")
    keys = {"account": f"account:{typed}"}
    if api_key is not None:
        keys["key"] = f"key:{api_key.pk}"
    return keys


def _window(window: int, now: dt.datetime) -> tuple[dt.datetime, int]:
    """The start of the fixed window ``now`` falls in, and the seconds left in it."""
    epoch = int(now.timestamp())
    bucket = epoch - epoch % window
    return dt.datetime.fromtimestamp(bucket, tz=dt.UTC), max(1, bucket + window - epoch)


def verify_throttle(
    *, system: System, user_id: str, now: dt.datetime, api_key: SystemApiKey | None = None
) -> None:
    """Refuse (``Throttled``: HTTP 429 with Retry-After) a user ID, or a system key, that has
    had its limit of failed attempts in the current window. A read: one SELECT, no lock, no
    write; failures are counted by ``verify_failure_count``."""
    limits = _limits()
    keys = _throttle_keys(system, user_id, api_key)
    rows = {
        key: (start, count)
        for key, start, count in VerifyThrottle.objects.filter(key__in=keys.values()).values_list(
            "key", "window_start", "count"
        )
    }
    waits = []
    for name, key in keys.items():
        limit, window = limits[name]
        start, left = _window(window, now)
        seen = rows.get(key)
        if seen is not None and seen[0] == start and seen[1] >= limit:
            waits.append(left)
    if waits:
        wait = max(waits)
        raise Throttled(_("Too many attempts. Try again in %(n)d seconds.") % {"n": wait}, retry_after=wait)


def verify_failure_count(
    *, system: System, user_id: str, now: dt.datetime, api_key: SystemApiKey | None = None
) -> None:
    """Count one failed attempt against the user ID and the system key: one upsert per counter
    (``INSERT … ON CONFLICT``), a new window restarting the count. Call inside the failure's
    transaction."""
    limits = _limits()
    q = connection.ops.quote_name
    table, key_col, start_col, count_col = (
        q(VerifyThrottle._meta.db_table),
        q("key"),
        q("window_start"),
        q("count"),
    )
    sql = (
        f"INSERT INTO {table} ({key_col}, {start_col}, {count_col}) VALUES (%s, %s, 1) "  # noqa: S608
        f"ON CONFLICT ({key_col}) DO UPDATE SET "
        f"{count_col} = CASE WHEN {table}.{start_col} = excluded.{start_col} "
        f"THEN {table}.{count_col} + 1 ELSE 1 END, {start_col} = excluded.{start_col}"
    )
    with connection.cursor() as cursor:
        for name, key in _throttle_keys(system, user_id, api_key).items():
            start, _left = _window(limits[name][1], now)
            cursor.execute(sql, [key, connection.ops.adapt_datetimefield_value(start)])


def _current_permissions(account: Account, today: dt.date) -> tuple[tuple[str, str], ...]:
    rows = (
        Grant.objects.filter(account=account)
        .filter(active_on_q(today))
        .order_by("permission__system__sort_order", "permission__sort_order")
        .values_list("permission__system__code", "permission__code")
    )
    return tuple((system, code) for system, code in rows)


def _verifying_account(
    root: System, user_id: str, today: dt.date, *, with_credential: bool = False
) -> Account | None:
    qs = Account.objects.filter(system=root, user_id=user_id.strip()).select_related("system")
    if with_credential:  # one query for the user ID and its credential (a LEFT JOIN), no lock
        qs = qs.select_related("credential")
    return (
        qs.filter(active_on_q(today)).first()
        or qs.filter(valid_from__lte=today).order_by("-valid_from").first()
    )


def _temporary_due(cred: Credential, now: dt.datetime) -> bool:
    return bool(
        cred.is_temporary
        and cred.locked_at is None
        and cred.temporary_expires_at is not None
        and cred.temporary_expires_at <= now
    )


def _held_credential(account: Account | None) -> Credential | None:
    if account is None:
        return None
    try:
        return account.credential
    except Credential.DoesNotExist:
        return None


@sensitive_variables("password")
def password_verify(
    *,
    system: System,
    user_id: str,
    password: str,
    ip_address: str | None = None,
    now: dt.datetime | None = None,
    api_key: SystemApiKey | None = None,
) -> VerifyOutcome:
    """Check a sign-in for a system whose passwords Kengen holds: valid (with the user ID's
    permissions today), wrong, expired (A8.7; A8.8 registration over), must change (a temporary
    password, A8.4) or locked. Wrong passwords count towards the policy's lock threshold and the
    rate limits (per user ID, per ``api_key``).

    A successful verify reads without locking anything and, at most, writes its credential row
    with one conditional UPDATE (a failure count to clear, a rehash, ``last_verified_at`` older
    than ``LAST_VERIFIED_PRECISION``); a failure is recorded in one short transaction that locks
    that user ID's credential only."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    root = system.account_system
    policy = policy_for(root)
    if not policy.holds_verifier:
        raise Conflict(
            _("Kengen does not hold the passwords of %(system)s.") % {"system": root.name}, clause="A2.6"
        )
    verify_throttle(system=root, user_id=user_id, now=now, api_key=api_key)
    label = f"system {root.code}"
    account = _verifying_account(root, user_id, today, with_credential=True)
    cred = _held_credential(account)
    if account is None or cred is None or (not cred.verifier and cred.locked_at is None):
        verify_password(password, "")  # the same work as a real check
        with transaction.atomic():
            if account is None:  # never log what was typed as a user ID: it may be a password
                audit_record(
                    actor=None,
                    actor_label=label,
                    action=AuditAction.PASSWORD_VERIFY_FAILED,
                    target_label=f"{root.code}: unknown user ID",
                    ip_address=ip_address,
                )
            verify_failure_count(system=root, user_id=user_id, now=now, api_key=api_key)
        return VerifyOutcome(VerifyResult.WRONG)
    if cred.locked_at is not None or _temporary_due(cred, now):
        with transaction.atomic():
            cred = Credential.objects.select_for_update().get(pk=cred.pk)
            cred.account = account
            _expire_temporary_if_due(cred, now=now, actor_label=label)
            verify_failure_count(system=root, user_id=user_id, now=now, api_key=api_key)
        return VerifyOutcome(VerifyResult.LOCKED, account=account)
    if not verify_password(password, cred.verifier):
        with transaction.atomic():
            verify_failure_count(system=root, user_id=user_id, now=now, api_key=api_key)
            cred = Credential.objects.select_for_update().get(pk=cred.pk)
            cred.account = account
            if cred.locked_at is not None:  # locked meanwhile by another failure
                return VerifyOutcome(VerifyResult.LOCKED, account=account)
            locked = _record_failure(cred, policy, now=now, actor_label=label, ip_address=ip_address)
        return VerifyOutcome(VerifyResult.LOCKED if locked else VerifyResult.WRONG, account=account)
    updates: dict[str, object] = {}
    if cred.failed_attempts:
        updates["failed_attempts"] = 0
    if cred.last_verified_at is None or now - cred.last_verified_at >= LAST_VERIFIED_PRECISION:
        updates["last_verified_at"] = now
    if needs_rehash(cred.verifier):  # the Argon2id parameters went up (KENGEN_ARGON2_*)
        updates["verifier"] = hash_password(password)
    if updates:
        # One statement, and only if nobody changed or locked the password since it was read.
        Credential.objects.filter(pk=cred.pk, verifier=cred.verifier, locked_at__isnull=True).update(
            **updates, updated_at=timezone.now()
        )
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
    api_key: SystemApiKey | None = None,
) -> VerifyOutcome:
    """A system whose sign-in answered must-change (or expired) lets the user change it there:
    the same rules as the self-service change, behind the same rate limits."""
    now = now or timezone.now()
    root = system.account_system
    if not policy_for(root).holds_verifier:
        raise Conflict(
            _("Kengen does not hold the passwords of %(system)s.") % {"system": root.name}, clause="A2.6"
        )
    verify_throttle(system=root, user_id=user_id, now=now, api_key=api_key)
    account = _verifying_account(root, user_id, timezone.localdate(now))
    if account is None:
        verify_password(current, "")
        verify_failure_count(system=root, user_id=user_id, now=now, api_key=api_key)
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
        verify_failure_count(system=root, user_id=user_id, now=now, api_key=api_key)
        held = Credential.objects.filter(account=account).first()
        if held is not None and held.locked_at is not None:
            return VerifyOutcome(VerifyResult.LOCKED, account=account)
        if not account.is_active_on(timezone.localdate(now)):
            return VerifyOutcome(VerifyResult.EXPIRED, account=account)
        return VerifyOutcome(VerifyResult.WRONG, account=account)
    except RuleViolation as exc:
        if exc.field == "current_password":
            verify_failure_count(system=root, user_id=user_id, now=now, api_key=api_key)
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
