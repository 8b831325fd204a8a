"""Kengen users and API tokens; sign-in throttling, sessions and the second factor."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from kengen.audit.choices import AuditAction
from kengen.audit.services import audit_record
from kengen.core.exceptions import Conflict, NotFound, RuleViolation
from kengen.core.permissions import require_configurator
from kengen.core.types import Actor
from kengen.people.models import Person
from kengen.users.choices import SessionEndReason, ThrottleKind
from kengen.users.models import (
    ApiToken,
    RecoveryCode,
    RecoveryCodeDevice,
    SignInThrottle,
    User,
    UserSession,
)

TOKEN_PREFIX = "kgn_"  # noqa: S105 - a public prefix, not a secret


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def user_create(
    *,
    actor: Actor,
    username: str,
    password: str | None,
    person: Person | None = None,
    is_superuser: bool = False,
) -> User:
    """Create a Kengen sign-in (``password=None`` leaves it unusable until one is set)."""
    if User.objects.filter(username=username).exists():
        raise Conflict(
            _("The sign-in name %(name)s is already taken.") % {"name": username}, field="username"
        )
    user = User(username=username, person=person, is_superuser=is_superuser, is_staff=is_superuser)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit_record(
        actor=actor,
        action=AuditAction.USER_CREATED,
        target=user,
        new={"username": username, "person": person.pk if person else None, "is_superuser": is_superuser},
    )
    return user


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    raw: str  # shown once to the user, never stored or logged


@transaction.atomic
def api_token_create(*, user: User, name: str, expires_in_days: int | None = 90) -> IssuedToken:
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = timezone.now() + dt.timedelta(days=expires_in_days) if expires_in_days else None
    token = ApiToken.objects.create(
        user=user, name=name.strip() or "API", prefix=raw[:12], digest=_digest(raw), expires_at=expires
    )
    audit_record(
        actor=user,
        action=AuditAction.API_TOKEN_CREATED,
        target=token,
        new={"name": token.name, "prefix": token.prefix, "expires_at": expires},
    )
    return IssuedToken(token=token, raw=raw)


@transaction.atomic
def api_token_revoke(*, user: User, token_id: int) -> ApiToken:
    token = ApiToken.objects.select_for_update().filter(id=token_id, user=user).first()
    if token is None:
        raise NotFound(_("No such token."))
    if token.revoked_at is not None:
        raise Conflict(_("This token is already revoked."))
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(actor=user, action=AuditAction.API_TOKEN_REVOKED, target=token)
    return token


def api_token_authenticate(raw: str) -> User | None:
    """The active user a bearer token belongs to, or ``None``."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(digest=_digest(raw)).first()
    now = timezone.now()
    if token is None or token.revoked_at is not None or (token.expires_at and token.expires_at <= now):
        return None
    if not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


# --- sign-in throttling (backoff, never a permanent lockout) -------------------------------------


def _throttle_settings() -> dict:
    return settings.KENGEN_SIGN_IN_THROTTLE


def username_key(username: str) -> str:
    """What a sign-in name is counted under: a digest, so that whatever was typed into the name
    field (sometimes a password) is never stored."""
    return hashlib.sha256(str(username).strip().casefold().encode()).hexdigest()


def _keys(*, username: str | None, ip: str | None, api: bool = False) -> list[tuple[str, str]]:
    keys: list[tuple[str, str]] = []
    if username is not None and not api:
        keys.append((ThrottleKind.USERNAME, username_key(username)))
    if ip:
        keys.append((ThrottleKind.API_IP if api else ThrottleKind.IP, ip))
    return keys


def _refused_for(keys: list[tuple[str, str]], now: dt.datetime) -> int:
    if not keys:
        return 0
    q = Q()
    for kind, key in keys:
        q |= Q(kind=kind, key=key)
    until = (
        SignInThrottle.objects.filter(q, locked_until__gt=now)
        .order_by("-locked_until")
        .values_list("locked_until", flat=True)
        .first()
    )
    return max(1, math.ceil((until - now).total_seconds())) if until else 0


def sign_in_refused_for(*, username: str | None, ip: str | None) -> int:
    """Seconds before ``username`` may try again from ``ip`` (0: now). Unknown names are counted
    like known ones, so the answer reveals nothing about which names exist."""
    return _refused_for(_keys(username=username, ip=ip), timezone.now())


def _locked_row(kind: str, key: str) -> SignInThrottle:
    row = SignInThrottle.objects.select_for_update().filter(kind=kind, key=key).first()
    if row is None:
        try:
            with transaction.atomic():
                row = SignInThrottle.objects.create(kind=kind, key=key)
        except IntegrityError:  # another process created it first
            row = SignInThrottle.objects.select_for_update().get(kind=kind, key=key)
    return row


def _count_failure(kind: str, key: str, now: dt.datetime, *, label: str, ip: str | None) -> int:
    conf = _throttle_settings()
    limits = conf[kind]
    row = _locked_row(kind, key)
    if row.last_failure_at and (now - row.last_failure_at).total_seconds() > conf["forget_after"]:
        row.failures = 0
    row.failures += 1
    row.last_failure_at = now
    over = row.failures - int(limits["threshold"])
    if over >= 0:
        delay = min(int(limits["base_delay"]) * 2 ** min(over, 30), int(limits["max_delay"]))
        row.locked_until = now + dt.timedelta(seconds=delay)
        audit_record(
            actor=None,
            actor_label=label or "anonymous",
            action=AuditAction.LOGIN_THROTTLED,
            target_label=label,
            new={"kind": kind, "failures": row.failures, "refused_seconds": delay},
            ip_address=ip,
        )
    row.save()
    return row.failures


@transaction.atomic
def sign_in_failure_record(*, username: str | None, ip: str | None, api: bool = False) -> None:
    """Count one failed sign-in against the name and the source address; past the threshold,
    refuse them for an exponentially growing while (audited when a refusal starts)."""
    now = timezone.now()
    for kind, key in _keys(username=username, ip=ip, api=api):
        label = str(username or "")[:150] if kind == ThrottleKind.USERNAME else (ip or "")
        _count_failure(kind, key, now, label=label, ip=ip)


def sign_in_success_record(*, username: str | None, ip: str | None, api: bool = False) -> None:
    """A successful sign-in clears the count of its *name* only.

    The source address keeps its count (forgotten after ``forget_after`` without a failure):
    otherwise an attacker could guess other people's passwords from an address and reset its
    count by signing in to their own account between guesses (security review, issue 10)."""
    if username is None or api:
        return
    SignInThrottle.objects.filter(kind=ThrottleKind.USERNAME, key=username_key(username)).delete()


class SignInThrottled(Exception):
    """Sign-ins with this credential or from this source are refused for ``wait_seconds`` after
    repeated failures."""

    def __init__(self, wait_seconds: int):
        super().__init__(f"refused for {wait_seconds} s")
        self.wait_seconds = wait_seconds


T = TypeVar("T")


def bearer_key(raw: str) -> str:
    """What an invalid bearer credential is counted under: a digest of its first 12 characters
    (``kgn_``/``kgs_`` and 8 random ones, the part the UI shows), so that one client retrying a
    revoked token is one count, and the value itself is never stored."""
    return hashlib.sha256(str(raw)[:12].encode()).hexdigest()


def _bearer_label(raw: str, prefix: str, what: str) -> str:
    return f"{what} {raw[:8]}…" if raw.startswith(prefix) else f"{what} (malformed)"


def bearer_sign_in(
    raw: str,
    *,
    ip: str | None,
    authenticate: Callable[[str], T | None],
    kind: str,
    ip_kind: str,
    prefix: str,
    actor_label: str,
    what: str,
) -> tuple[T | None, int]:
    """Authenticate a bearer credential (a person's API token or a system's key).

    The credential is checked *first*: a valid one is accepted even from an address that other
    clients behind the same NAT have been sending invalid ones from (city halls sign in from a
    few addresses). An invalid one is counted per credential (``bearer_key``) and per source
    address; past either threshold it is refused (``(None, seconds)``, answered 429) without being
    counted or audited again, so a refusal never prolongs itself and a flood writes no rows.

    Refusals are aggregated in the audit log: one ``auth.login_failed`` row for the first failure
    of a credential prefix in the forget window, then one ``auth.login_throttled`` row with the
    running count whenever a refusal starts — not one row per request."""
    principal = authenticate(raw)
    if principal is not None:
        return principal, 0
    now = timezone.now()
    keys = [(kind, bearer_key(raw))] + ([(ip_kind, ip)] if ip else [])
    wait = _refused_for(keys, now)
    if wait:
        return None, wait
    label = _bearer_label(raw, prefix, what)
    with transaction.atomic():
        first = _count_failure(kind, bearer_key(raw), now, label=label, ip=ip) == 1
        if ip:
            _count_failure(ip_kind, ip, now, label=ip, ip=ip)
        if first:
            audit_record(
                actor=None,
                actor_label=actor_label,
                action=AuditAction.LOGIN_FAILED,
                target_label=label,
                new={"aggregated": "first failure of this credential; later ones are counted"},
                ip_address=ip,
            )
    return None, 0


def api_token_sign_in(raw: str, *, ip: str | None) -> tuple[User | None, int]:
    """``(user, 0)`` for a valid bearer token; ``(None, 0)`` for an invalid one (counted per token
    and per source address); ``(None, seconds)`` while that token or address is refused."""
    return bearer_sign_in(
        raw,
        ip=ip,
        authenticate=api_token_authenticate,
        kind=ThrottleKind.API_TOKEN,
        ip_kind=ThrottleKind.API_IP,
        prefix=TOKEN_PREFIX,
        actor_label="api-token",
        what="API token",
    )


# --- sign-in sessions ----------------------------------------------------------------------------


def _session_store() -> type[SessionBase]:
    return import_module(settings.SESSION_ENGINE).SessionStore


def user_session_register(
    *, user: User, session_key: str, ip: str | None = None, user_agent: str = ""
) -> UserSession:
    """Track a session that has just signed ``user`` in (or was re-keyed)."""
    session, _created = UserSession.objects.update_or_create(
        session_key=session_key,
        defaults={
            "user": user,
            "ip_address": ip or None,
            "user_agent": (user_agent or "")[:200],
            "last_seen_at": timezone.now(),
        },
    )
    return session


def user_session_forget(*, session_key: str | None) -> None:
    if session_key:
        UserSession.objects.filter(session_key=session_key).delete()


@transaction.atomic
def user_sessions_end(
    *,
    user: User,
    reason: str,
    actor: Actor = None,
    keep_session_key: str | None = None,
    ip: str | None = None,
) -> int:
    """End every tracked session of ``user`` (but ``keep_session_key``) at once: their data is
    deleted from the session store, so the next request from any of them is signed out."""
    sessions = UserSession.objects.select_for_update().filter(user=user)
    if keep_session_key:
        sessions = sessions.exclude(session_key=keep_session_key)
    keys = list(sessions.values_list("session_key", flat=True))
    if not keys:
        return 0
    store = _session_store()
    for key in keys:
        store(session_key=key).delete()
    UserSession.objects.filter(session_key__in=keys).delete()
    audit_record(
        actor=actor,
        action=AuditAction.SESSIONS_ENDED,
        target=user,
        new={"reason": str(reason), "sessions": len(keys)},
        ip_address=ip,
    )
    return len(keys)


def session_expired_record(*, user: User | None, user_id: int | None, reason: str, ip: str | None) -> None:
    """Record that one session ended by timeout or because its user is no longer in force."""
    audit_record(
        actor=None,
        action=AuditAction.SESSION_EXPIRED,
        target=user,
        target_label=None if user is not None else f"user #{user_id}",
        new={"reason": str(reason)},
        ip_address=ip,
    )


@transaction.atomic
def user_set_active(*, actor: Actor, user: User, is_active: bool) -> User:
    """Enable or disable a Kengen sign-in; disabling ends all of its sessions at once."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.is_active == is_active:
        return locked
    locked.is_active = is_active
    locked.save(update_fields=["is_active"])  # the post_save receiver ends the sessions
    audit_record(
        actor=actor,
        action=AuditAction.USER_UPDATED,
        target=locked,
        old={"is_active": not is_active},
        new={"is_active": is_active},
    )
    return locked


def user_sessions_sweep(*, on: dt.date | None = None) -> int:
    """End the tracked sessions of users no longer in force (disabled, or no appointment in force
    on ``on``) and forget sessions the store has already expired. For cron; the per-request check
    refuses such sessions anyway."""
    from kengen.users.selectors import user_in_force

    ended = 0
    for user in User.objects.filter(sign_in_sessions__isnull=False).distinct():
        if not user_in_force(user, on=on):
            reason = SessionEndReason.DEACTIVATED if not user.is_active else SessionEndReason.NOT_IN_FORCE
            ended += user_sessions_end(user=user, reason=reason)
    store = _session_store()
    for session in UserSession.objects.all().only("session_key"):
        if not store().exists(session.session_key):
            session.delete()
    return ended


# --- second factor (django-otp TOTP, django-otp-webauthn passkeys, recovery codes) ---------------

TOTP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"


def _recovery_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(8)).decode().lower()[:12]  # 60 random bits
    return "-".join(raw[i : i + 4] for i in range(0, 12, 4))


@transaction.atomic
def totp_device_start(*, user: User) -> TOTPDevice:
    """An unconfirmed authenticator-app device with a random key (django-otp's default: 20 bytes
    from the OS CSPRNG), to show as a QR code; it counts only once confirmed with a code. One made
    in the last half hour is reused, so reloading the page keeps the QR code; older ones go."""
    recent = timezone.now() - dt.timedelta(minutes=30)
    pending = TOTPDevice.objects.filter(user=user, confirmed=False)
    pending.filter(Q(created_at__lt=recent) | Q(created_at__isnull=True)).delete()
    device = pending.order_by("-id").first()
    return device or TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)


@dataclass(frozen=True)
class VerifyOutcome:
    device: Any = None  # the django-otp device that accepted the code
    wait_seconds: int = 0  # > 0: refused without checking, after recent failures

    @property
    def ok(self) -> bool:
        return self.device is not None


def _wait_of(device: Device) -> int:
    allowed, info = device.verify_is_allowed()
    if allowed or not info or "locked_until" not in info:
        return 0
    return max(1, math.ceil((info["locked_until"] - timezone.now()).total_seconds()))


def totp_device_confirm(*, user: User, device_id: int, code: str, ip: str | None = None) -> VerifyOutcome:
    """Confirm an authenticator app with a code it shows. A wrong code is counted (django-otp's
    exponential throttle) and refused; the device stays unconfirmed."""
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update().filter(user=user, pk=device_id, confirmed=False).first()
        )
        if device is None:
            raise NotFound(_("No authenticator app is being set up. Start again."))
        if wait := _wait_of(device):
            return VerifyOutcome(wait_seconds=wait)
        ok = device.verify_token(_digits(code))
        if ok:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            audit_record(
                actor=user,
                action=AuditAction.MFA_DEVICE_ADDED,
                target=user,
                new={"device_type": "totp", "device": device.persistent_id},
                ip_address=ip,
            )
    return VerifyOutcome(device=device if ok else None)


def passkey_registered_record(*, user: User, device: WebAuthnCredential, ip: str | None = None) -> None:
    """Audit a passkey that django-otp-webauthn has just verified and stored."""
    audit_record(
        actor=user,
        action=AuditAction.MFA_DEVICE_ADDED,
        target=user,
        new={"device_type": "webauthn", "device": device.persistent_id, "name": device.name},
        ip_address=ip,
    )


def second_factor_result_record(
    *, user: User, device: Device | None = None, ip: str | None = None, method: str = ""
) -> None:
    """Audit a passed (``device`` given) or failed second-factor check."""
    if device is not None:
        model_name = device._meta.model_name or ""  # always set on a concrete model
        kind = {
            "totpdevice": "totp",
            "webauthncredential": "webauthn",
            "recoverycodedevice": "recovery_code",
        }.get(model_name, model_name)
        audit_record(
            actor=user,
            action=AuditAction.MFA_VERIFIED,
            target=user,
            new={"device_type": kind, "device": device.persistent_id},
            ip_address=ip,
        )
    else:
        audit_record(
            actor=user, action=AuditAction.MFA_FAILED, target=user, new={"method": method}, ip_address=ip
        )


def _digits(code: str) -> str:
    return "".join(str(code).split())


def second_factor_verify(*, user: User, code: str, ip: str | None = None) -> VerifyOutcome:
    """Check a code typed at sign-in: a 6-digit authenticator-app code, or a recovery code (each
    works once). Wrong codes are throttled per device by django-otp (1, 2, 4 … seconds)."""
    cleaned = _digits(code)
    is_totp = cleaned.isdigit() and len(cleaned) in (6, 8)
    device_model: type[Device] = TOTPDevice if is_totp else RecoveryCodeDevice
    method = "totp" if is_totp else "recovery_code"
    outcome = VerifyOutcome()
    with transaction.atomic():
        devices = list(
            device_model.objects.select_for_update().filter(user=user, confirmed=True).order_by("id")
        )
        waits = [_wait_of(d) for d in devices]
        if devices and all(waits):
            outcome = VerifyOutcome(wait_seconds=min(waits))
        else:
            for device, wait in zip(devices, waits, strict=True):
                if not wait and device.verify_token(cleaned):
                    outcome = VerifyOutcome(device=device)
                    break
        if outcome.wait_seconds == 0:
            second_factor_result_record(user=user, device=outcome.device, ip=ip, method=method)
    return outcome


@transaction.atomic
def recovery_codes_issue(*, user: User, ip: str | None = None) -> list[str]:
    """Issue a fresh set of one-time recovery codes (the old set stops working). The codes are
    returned once, to be shown once; only their digests are kept."""
    RecoveryCodeDevice.objects.filter(user=user).delete()
    device = RecoveryCodeDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [_recovery_code() for _ in range(int(settings.KENGEN_RECOVERY_CODE_COUNT))]
    RecoveryCode.objects.bulk_create(
        [RecoveryCode(device=device, digest=RecoveryCodeDevice.digest(c)) for c in codes]
    )
    audit_record(
        actor=user,
        action=AuditAction.MFA_RECOVERY_CODES_ISSUED,
        target=user,
        new={"count": len(codes)},
        ip_address=ip,
    )
    return codes


def _device_model(kind: str) -> type[Device] | None:
    return {"totp": TOTPDevice, "webauthn": WebAuthnCredential}.get(kind)


@transaction.atomic
def second_factor_device_remove(*, user: User, kind: str, device_id: int, ip: str | None = None) -> None:
    """Remove one of the user's own authenticator apps or passkeys. Whoever must use a second
    factor keeps at least one; whoever removes their last one loses their recovery codes too."""
    from kengen.users.selectors import has_primary_device, mfa_required

    model = _device_model(kind)
    device = model.objects.select_for_update().filter(user=user, pk=device_id).first() if model else None
    if device is None:
        raise NotFound(_("No such second factor."))
    persistent_id = device.persistent_id
    device.delete()
    if not has_primary_device(user):
        if mfa_required(user):
            raise RuleViolation(
                _("You must keep at least one authenticator app or passkey. Add another one first."),
            )
        RecoveryCodeDevice.objects.filter(user=user).delete()
    audit_record(
        actor=user,
        action=AuditAction.MFA_DEVICE_REMOVED,
        target=user,
        new={"device_type": kind, "device": persistent_id},
        ip_address=ip,
    )


@transaction.atomic
def second_factor_reset(*, actor: Actor, user: User) -> int:
    """Remove all of a user's second factors (lost phone and recovery codes), revoke their API
    tokens and end their sessions; at their next sign-in they must enrol again. For administrators,
    from the command line.

    The tokens go too: they were created in sessions that passed the factor now presumed lost (a
    stolen phone may come with a signed-in laptop), and a token skips the second factor."""
    removed = 0
    for model in (TOTPDevice, WebAuthnCredential, RecoveryCodeDevice):
        removed += model.objects.filter(user=user).delete()[1].get(model._meta.label, 0)
    revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit_record(
        actor=actor,
        action=AuditAction.MFA_RESET,
        target=user,
        new={"devices": removed, "bearer_credentials_revoked": revoked},
    )
    user_sessions_end(user=user, reason=SessionEndReason.SECOND_FACTOR_RESET, actor=actor)
    return removed


# --- Kengen's own sign-in password (issue 11) -------------------------------------------------

#: Temporary sign-in passwords: no look-alikes (I/l/1, O/o/0), 16 characters ≈ 93 bits.
_TEMPORARY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"


@sensitive_variables("current", "new")
@transaction.atomic
def user_password_change(
    *, user: User, current: str, new: str, keep_session_key: str | None = None, ip: str | None = None
) -> User:
    """The signed-in person changes their own Kengen password: the current one first, the new one
    under the A8.6 strength rules (``AUTH_PASSWORD_VALIDATORS``: the same rules as system
    passwords). Other sessions end; a forced change (after a reset) is cleared. No password is
    audited."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    if not locked.check_password(current):
        raise RuleViolation(_("The current password is not correct."), field="current")
    if new == current:
        raise RuleViolation(
            _("Choose a password different from the current one."), clause="A8.6", field="new"
        )
    try:
        password_validation.validate_password(new, locked)
    except ValidationError as invalid:
        raise RuleViolation(" ".join(invalid.messages), clause="A8.6", field="new") from None
    forced = locked.must_change_password
    locked.set_password(new)
    locked.must_change_password = False
    locked.save(update_fields=["password", "must_change_password"])
    audit_record(
        actor=locked,
        action=AuditAction.USER_PASSWORD_CHANGED,
        target=locked,
        old={"must_change_password": forced},
        new={"must_change_password": False},
        ip_address=ip,
    )
    user_sessions_end(
        user=locked,
        reason=SessionEndReason.PASSWORD_CHANGED,
        actor=locked,
        keep_session_key=keep_session_key,
        ip=ip,
    )
    return locked


@dataclass(frozen=True)
class PasswordReset:
    user: User
    #: Shown once to the configuration administrator, to hand over in person; never stored in clear.
    password: str = field(repr=False)


@sensitive_variables("temporary")
@transaction.atomic
def user_password_reset(*, actor: Actor, user: User, ip: str | None = None) -> PasswordReset:
    """The configuration administrator resets someone's Kengen password: a random temporary
    password (shown once), to be changed at the next sign-in; all their sessions end. The audit
    event says who reset whose password — never the password."""
    require_configurator(actor)
    locked = User.objects.select_for_update().get(pk=user.pk)
    if actor is not None and locked.pk == actor.pk:
        raise RuleViolation(_("Change your own password on your account page instead."), field="user")
    temporary = "-".join("".join(secrets.choice(_TEMPORARY_ALPHABET) for _i in range(4)) for _j in range(4))
    locked.set_password(temporary)
    locked.must_change_password = True
    locked.save(update_fields=["password", "must_change_password"])
    audit_record(
        actor=actor,
        action=AuditAction.USER_PASSWORD_RESET,
        target=locked,
        new={"must_change_password": True},
        ip_address=ip,
    )
    user_sessions_end(user=locked, reason=SessionEndReason.PASSWORD_RESET, actor=actor, ip=ip)
    return PasswordReset(user=locked, password=temporary)
