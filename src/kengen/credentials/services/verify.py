"""The verify API for systems whose passwords Kengen holds: sign-in checks, changes through the
system, and the database-backed rate limits (failures per user ID and per system key) shared by
every process."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from kengen.audit.choices import AuditAction
from kengen.audit.services import audit_record
from kengen.core.exceptions import Conflict, DomainError, RuleViolation
from kengen.core.models import active_on_q
from kengen.credentials.cache import unchecked_version, verify_cache
from kengen.credentials.choices import VerifyResult
from kengen.credentials.models import (
    Credential,
    CredentialPolicy,
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


def _refuse_if_over(counts: dict[str, int], now: dt.datetime) -> None:
    """``Throttled`` if any counter (``{limit name: failures in the current window}``) is at its
    limit."""
    limits = _limits()
    waits = [_window(limits[name][1], now)[1] for name, count in counts.items() if count >= limits[name][0]]
    if waits:
        wait = max(waits)
        raise Throttled(_("Too many attempts. Try again in %(n)d seconds.") % {"n": wait}, retry_after=wait)


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
    counts = {}
    for name, key in keys.items():
        seen = rows.get(key)
        if seen is not None and seen[0] == _window(limits[name][1], now)[0]:
            counts[name] = seen[1]
    _refuse_if_over(counts, now)


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
    return _temporary_expired(cred.is_temporary, cred.locked_at, cred.temporary_expires_at, now)


def _temporary_expired(
    is_temporary: bool, locked_at: dt.datetime | None, expires_at: dt.datetime | None, now: dt.datetime
) -> bool:
    return bool(is_temporary and locked_at is None and expires_at is not None and expires_at <= now)


class StaleVerifyCache(Exception):
    """The system key came from this process's cache and the verify data version has moved
    since (a key, policy or system changed): nothing was done; authenticate again."""


@dataclass(frozen=True)
class _Snapshot:
    """What one verify reads, in one statement (``_snapshot``)."""

    version: int | None
    counts: dict[str, int]
    account_id: int | None
    account_active: bool
    user_id: str
    valid_from: dt.date | None
    valid_to: dt.date | None
    credential_id: int | None
    verifier: str
    is_temporary: bool
    temporary_expires_at: dt.datetime | None
    expires_at: dt.datetime | None
    failed_attempts: int
    locked_at: dt.datetime | None
    last_verified_at: dt.datetime | None
    permissions: tuple[tuple[str, str], ...]


_SNAPSHOT_SQL: dict[str, str] = {}


def _snapshot_sql() -> str:
    """The verify data version, the two failure counters of the current windows, the user ID in
    force on the date (else the latest one begun), its credential and the permissions it holds
    on the date (a JSON array), as ``_verifying_account`` and ``_current_permissions`` read them:
    one statement, built once per database vendor, no ORM on the hot path."""
    vendor = connection.vendor
    if vendor not in _SNAPSHOT_SQL:
        agg, arr = (
            ("json_agg", "json_build_array") if vendor == "postgresql" else ("json_group_array", "json_array")
        )
        _SNAPSHOT_SQL[vendor] = (
            "SELECT (SELECT version FROM credentials_verifydataversion WHERE id = 1), "  # noqa: S608
            '(SELECT t."count" FROM credentials_verifythrottle t WHERE t."key" = %s AND t.window_start = %s), '
            '(SELECT t."count" FROM credentials_verifythrottle t WHERE t."key" = %s AND t.window_start = %s), '
            "a.id, a.active, a.user_id, a.valid_from, a.valid_to, c.id, c.verifier, c.is_temporary, "
            "c.temporary_expires_at, c.expires_at, c.failed_attempts, c.locked_at, c.last_verified_at, "
            f"(SELECT {agg}({arr}(s.sort_order, p.sort_order, s.code, p.code)) FROM grants_grant g "
            "JOIN systems_systempermission p ON p.id = g.permission_id "
            "JOIN systems_system s ON s.id = p.system_id "
            "WHERE g.account_id = a.id AND g.valid_from <= %s AND (g.valid_to IS NULL OR g.valid_to > %s)) "
            "FROM (SELECT 1 AS one) o LEFT JOIN ("
            "SELECT id, user_id, valid_from, valid_to, "
            "CASE WHEN valid_to IS NULL OR valid_to > %s THEN 1 ELSE 0 END AS active "
            "FROM grants_account WHERE system_id = %s AND user_id = %s AND valid_from <= %s "
            "ORDER BY active DESC, valid_from DESC, id LIMIT 1"
            ") a ON 1 = 1 LEFT JOIN credentials_credential c ON c.account_id = a.id"
        )
    return _SNAPSHOT_SQL[vendor]


def _aware(value: object) -> dt.datetime | None:
    """A timestamp from a raw cursor (SQLite gives text or naive UTC) as an aware datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = parse_datetime(value)
    assert isinstance(value, dt.datetime)
    return value if timezone.is_aware(value) else value.replace(tzinfo=dt.UTC)


def _date(value: object) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return parse_date(str(value))


def _snapshot(
    root: System, user_id: str, today: dt.date, now: dt.datetime, keys: dict[str, str]
) -> _Snapshot:
    limits = _limits()
    ops = connection.ops
    params: list[Any] = []
    for name in ("account", "key"):
        key = keys.get(name)
        start = _window(limits[name][1], now)[0] if key is not None else now
        params += [key, ops.adapt_datetimefield_value(start)]
    day = ops.adapt_datefield_value(today)
    params += [day, day, day, root.pk, user_id.strip(), day]
    with connection.cursor() as cursor:
        cursor.execute(_snapshot_sql(), params)
        row = cursor.fetchone()
    assert row is not None
    (version, account_count, key_count, account_id, active, uid, valid_from, valid_to, cred_id, verifier) = (
        row[:10]
    )
    is_temporary, temporary_expires_at, expires_at, failed, locked_at, last_verified_at, perms = row[10:]
    if isinstance(perms, str):
        perms = json.loads(perms)
    counts = {
        name: int(count)
        for name, count in (("account", account_count), ("key", key_count))
        if count is not None and name in keys
    }
    return _Snapshot(
        version=None if version is None or connection.in_atomic_block else int(version),
        counts=counts,
        account_id=account_id,
        account_active=bool(active),
        user_id=uid or "",
        valid_from=_date(valid_from),
        valid_to=_date(valid_to),
        credential_id=cred_id,
        verifier=verifier or "",
        is_temporary=bool(is_temporary),
        temporary_expires_at=_aware(temporary_expires_at),
        expires_at=_aware(expires_at),
        failed_attempts=int(failed or 0),
        locked_at=_aware(locked_at),
        last_verified_at=_aware(last_verified_at),
        permissions=tuple(
            (system, code) for _s, _p, system, code in sorted(perms or (), key=lambda p: (p[0], p[1]))
        ),
    )


def _policy(root: System, version: int | None) -> CredentialPolicy:
    """``policy_for(root)``, shared across requests under the verify data version."""
    if version is None:
        return policy_for(root)
    policy = verify_cache.policy(version, root.pk)
    if policy is None:
        policy = policy_for(root)
        verify_cache.store_policy(version, root.pk, policy)
    return policy


def _account_of(snap: _Snapshot, root: System) -> Account:
    """The user ID the snapshot found, without a query (other fields load on access)."""
    known = {
        "id": snap.account_id,
        "system_id": root.pk,
        "user_id": snap.user_id,
        "valid_from": snap.valid_from,
        "valid_to": snap.valid_to,
    }
    names = [f.attname for f in Account._meta.concrete_fields if f.attname in known]  # in field order
    account = Account.from_db(connection.alias, names, [known[name] for name in names])
    account.system = root
    return account


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

    A successful verify reads everything in one statement (``_snapshot``; the policy is cached
    under the verify data version), locks nothing and, at most, writes its credential row with
    one conditional UPDATE (a failure count to clear, a rehash, ``last_verified_at`` older than
    ``LAST_VERIFIED_PRECISION``); a failure is recorded in one short transaction that locks that
    user ID's credential only. ``StaleVerifyCache`` (before any work) if ``api_key`` came from a
    cache that the statement shows is out of date."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    root = system.account_system
    keys = _throttle_keys(root, user_id, api_key)
    snap = _snapshot(root, user_id, today, now, keys)
    unchecked = unchecked_version(api_key)
    if unchecked is not None and unchecked != snap.version:
        raise StaleVerifyCache
    policy = _policy(root, snap.version)
    if not policy.holds_verifier:
        raise Conflict(
            _("Kengen does not hold the passwords of %(system)s.") % {"system": root.name}, clause="A2.6"
        )
    _refuse_if_over(snap.counts, now)
    label = f"system {root.code}"
    if (
        snap.account_id is None
        or snap.credential_id is None
        or (not snap.verifier and snap.locked_at is None)
    ):
        verify_password(password, "")  # the same work as a real check
        with transaction.atomic():
            if snap.account_id is None:  # never log what was typed as a user ID: it may be a password
                audit_record(
                    actor=None,
                    actor_label=label,
                    action=AuditAction.PASSWORD_VERIFY_FAILED,
                    target_label=f"{root.code}: unknown user ID",
                    ip_address=ip_address,
                )
            verify_failure_count(system=root, user_id=user_id, now=now, api_key=api_key)
        return VerifyOutcome(VerifyResult.WRONG)
    if snap.locked_at is not None or _temporary_expired(
        snap.is_temporary, snap.locked_at, snap.temporary_expires_at, now
    ):
        account = Account.objects.select_related("system").get(pk=snap.account_id)
        with transaction.atomic():
            cred = Credential.objects.select_for_update().get(pk=snap.credential_id)
            cred.account = account
            _expire_temporary_if_due(cred, now=now, actor_label=label)
            verify_failure_count(system=root, user_id=user_id, now=now, api_key=api_key)
        return VerifyOutcome(VerifyResult.LOCKED, account=account)
    if not verify_password(password, snap.verifier):
        account = Account.objects.select_related("system").get(pk=snap.account_id)
        with transaction.atomic():
            verify_failure_count(system=root, user_id=user_id, now=now, api_key=api_key)
            cred = Credential.objects.select_for_update().get(pk=snap.credential_id)
            cred.account = account
            if cred.locked_at is not None:  # locked meanwhile by another failure
                return VerifyOutcome(VerifyResult.LOCKED, account=account)
            locked = _record_failure(cred, policy, now=now, actor_label=label, ip_address=ip_address)
        return VerifyOutcome(VerifyResult.LOCKED if locked else VerifyResult.WRONG, account=account)
    updates: dict[str, object] = {}
    if snap.failed_attempts:
        updates["failed_attempts"] = 0
    if snap.last_verified_at is None or now - snap.last_verified_at >= LAST_VERIFIED_PRECISION:
        updates["last_verified_at"] = now
    if needs_rehash(snap.verifier):  # the Argon2id parameters went up (KENGEN_ARGON2_*)
        updates["verifier"] = hash_password(password)
    if updates:
        # One statement, and only if nobody changed or locked the password since it was read.
        Credential.objects.filter(
            pk=snap.credential_id, verifier=snap.verifier, locked_at__isnull=True
        ).update(**updates, updated_at=timezone.now())
    account = _account_of(snap, root)
    if not snap.account_active:
        return VerifyOutcome(VerifyResult.EXPIRED, account=account)
    if snap.is_temporary:
        return VerifyOutcome(VerifyResult.MUST_CHANGE, account=account, expires_at=snap.temporary_expires_at)
    if snap.expires_at is not None and snap.expires_at <= now:
        return VerifyOutcome(VerifyResult.EXPIRED, account=account, expires_at=snap.expires_at)
    return VerifyOutcome(
        VerifyResult.VALID, account=account, permissions=snap.permissions, expires_at=snap.expires_at
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
