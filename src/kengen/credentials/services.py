"""Passwords in the management file (A2.6, A8.2–A8.8) and the verify API's rules.

Every write is one transaction with its audit event; notifications are stored in it and emailed
after commit. No secret ever reaches the audit log, a notification, an email, a log line or an
exception message (A8.5): the only places a password exists are the request that carries it, the
one response that shows a generated one (reveal page, maintenance/viewing confirmation), and its
Argon2id verifier.

Where a rule needs a failed attempt to be remembered even though the call is refused (a wrong
current password, a throttled request), that record is committed in its own short transaction
before the refusal is raised.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from kengen.audit.choices import AuditAction
from kengen.audit.services import audit_record
from kengen.core.era import wareki, wareki_datetime
from kengen.core.exceptions import Conflict, DomainError, NotFound, PermissionDenied, RuleViolation
from kengen.core.models import active_on_q
from kengen.credentials.choices import (
    ApplicantKind,
    CredentialEventKind,
    CredentialMode,
    LockReason,
    PasswordApplicationKind,
    PasswordApplicationStatus,
    RecordedEvent,
    VerifyResult,
)
from kengen.credentials.models import (
    Credential,
    CredentialEvent,
    CredentialPolicy,
    PasswordApplication,
    PasswordHistory,
    RevealLink,
    SystemApiKey,
    VerifyThrottle,
)
from kengen.credentials.passwords import (
    character_classes,
    check_strength,
    generate_password,
    generate_temporary,
    hash_password,
    needs_rehash,
    new_token,
    open_temporary,
    seal_temporary,
    token_digest,
    verify_password,
)
from kengen.credentials.selectors import POLICY_FIELDS, context_for, policy_for
from kengen.grants.choices import AccountKind
from kengen.grants.models import Account, Grant
from kengen.notifications.services import notification_send
from kengen.people.models import Person
from kengen.roles.selectors import administrators_of, scope_for, security_officers_for
from kengen.systems.choices import SystemKind
from kengen.systems.models import System

API_KEY_PREFIX = "kgs_"
#: A8.2: the administrators who may register temporary passwords for system users.
TEMPORARY_PASSWORD_SYSTEMS = (SystemKind.CORE, SystemKind.INTERMEDIATE)
#: (attempts, seconds) per user ID and per source address.
DEFAULT_RATE_LIMITS: dict[str, tuple[int, int]] = {"account": (10, 60), "address": (60, 60)}


class Throttled(DomainError):
    """Too many verify attempts for a user ID or from an address: try again after ``retry_after``."""

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class IssuedSecret:
    """A generated password, to be shown once to whoever may see it and then forgotten."""

    credential: Credential
    value: str = field(repr=False)


@dataclass(frozen=True)
class IssuedTemporary:
    credential: Credential
    officer: Person | None = None
    reveal_link: RevealLink | None = None
    #: Only for maintenance staff (A8.8), shown once to the administrator. For system users the
    #: value goes to the security officer through the reveal link, never to the administrator.
    value: str = field(default="", repr=False)


@dataclass(frozen=True)
class VerifyOutcome:
    result: str
    account: Account | None = None
    permissions: tuple[tuple[str, str], ...] = ()
    expires_at: dt.datetime | None = None


# --- helpers -----------------------------------------------------------------------------------


def _user(actor):
    return actor if getattr(actor, "pk", None) else None


def _label(actor, default: str = "system") -> str:
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


def _require_administrator(actor, system: System, clause: str) -> None:
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
    actor,
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


def _officer_of(person: Person, on: dt.date) -> Person | None:
    """The security officer of the person's primary unit on ``on`` (A4)."""
    assignments = sorted(person.assignments_on(on), key=lambda a: (not a.is_primary, a.valid_from))
    for a in assignments:
        officer = security_officers_for(a.organization_id, on).exclude(pk=person.pk).first()
        officer = officer or security_officers_for(a.organization_id, on).first()
        if officer is not None:
            return officer
    return None


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
    actor=None,
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


# --- policy ------------------------------------------------------------------------------------


@transaction.atomic
def credential_policy_set(*, actor, system: System, **values) -> CredentialPolicy:
    """Configure how a system keeps passwords (A8.2–A8.7): its administrator or a configurator."""
    root = system.account_system
    scope = scope_for(actor)
    if root.id not in scope.administered_system_ids and not scope.is_configurator:
        raise PermissionDenied(
            _("Only the administrator of %(system)s can change its password policy.") % {"system": root.name},
            clause="A3.1",
        )
    unknown = set(values) - set(POLICY_FIELDS)
    if unknown:
        raise RuleViolation(_("Unknown setting %(name)s.") % {"name": ", ".join(sorted(unknown))})
    current = policy_for(root)
    merged = {name: values.get(name, getattr(current, name)) for name in POLICY_FIELDS}
    checks = (
        ("mode", merged["mode"] in CredentialMode.values, _("Choose who holds the passwords."), None),
        (
            "min_length",
            8 <= int(merged["min_length"]) <= 64,
            _("The minimum length is between 8 and 64 characters."),
            "A8.6",
        ),
        (
            "max_age_days",
            1 <= int(merged["max_age_days"]) <= 3660,
            _("Passwords must be changed periodically (Art. 8(7)): give a number of days."),
            "A8.7",
        ),
        (
            "reminder_days",
            0 <= int(merged["reminder_days"]) < int(merged["max_age_days"]),
            _("Reminders start fewer days before the deadline than the maximum age."),
            "A8.7",
        ),
        (
            "history_count",
            0 <= int(merged["history_count"]) <= 24,
            _("Remember between 0 and 24 former passwords."),
            "A8.7",
        ),
        (
            "temporary_validity_days",
            1 <= int(merged["temporary_validity_days"]) <= 90,
            _("A temporary password is valid for 1 to 90 days."),
            "A8.4",
        ),
        (
            "min_character_classes",
            0 <= int(merged["min_character_classes"]) <= 4,
            _("Between 0 and 4 character classes."),
            "A8.6",
        ),
        (
            "lockout_threshold",
            1 <= int(merged["lockout_threshold"]) <= 100,
            _("Lock after 1 to 100 wrong passwords."),
            "A8.6",
        ),
    )
    for name, ok, message, clause in checks:
        if not ok:
            raise RuleViolation(message, clause=clause, field=name)
    policy = CredentialPolicy.objects.select_for_update().filter(system=root).first()
    old = {name: getattr(policy, name) for name in POLICY_FIELDS} if policy else None
    policy = policy or CredentialPolicy(system=root)
    for name, value in merged.items():
        setattr(policy, name, value)
    policy.updated_by = _user(actor)
    policy.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREDENTIAL_POLICY_SET,
        target=policy,
        old=old,
        new={name: getattr(policy, name) for name in POLICY_FIELDS},
    )
    return policy


# --- temporary passwords (A8.2–A8.4, A8.8) ------------------------------------------------------


@sensitive_variables("value", "token")
@transaction.atomic
def temporary_password_issue(
    *, actor, account: Account, now: dt.datetime | None = None, form2: PasswordApplication | None = None
) -> IssuedTemporary:
    """Register a temporary password for a user ID (A8.2) — generated, never chosen.

    System users (core package and intermediate server, A8.2): the security officer of the
    person is notified (A8.3) with a one-time link that shows the value once; the administrator
    never sees it. Maintenance staff (any administrator, A8.8): the value is returned once for the
    administrator to hand over. Either way it must be changed at first use (A8.4) and expires
    unused after the policy's days, locking the user ID until a new one is issued.

    ``form2``: a completed Form 2 registration for a system whose passwords Kengen holds (A8.1): the
    individual system's administrator then issues the first password the same way.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    account = (
        Account.objects.select_for_update(of=("self",)).select_related("system", "person").get(pk=account.pk)
    )
    system = account.system
    clause = "A8.8" if account.kind == AccountKind.MAINTENANCE else "A8.2"
    _require_administrator(actor, system, clause)
    if account.kind == AccountKind.VIEWING:
        raise RuleViolation(
            _("A viewing user ID gets a fresh password each time it is lent (Art. 11(4))."),
            clause="A11.4",
            field="account",
        )
    if (
        account.kind == AccountKind.PERSONAL
        and system.kind not in TEMPORARY_PASSWORD_SYSTEMS
        and form2 is None
    ):
        raise RuleViolation(
            _(
                "Temporary passwords are registered by the administrators of COKAS-R/ADⅡ and the "
                "intermediate server (Art. 8(2)). For %(system)s the user applies on Form 2 (Art. 8(1))."
            )
            % {"system": system.name},
            clause="A8.2",
            field="account",
        )
    policy = policy_for(system)
    if not policy.holds_verifier:
        raise RuleViolation(
            _(
                "The passwords of %(system)s are held by the system: register the temporary password there "
                "and record that you did."
            )
            % {"system": system.name},
            clause="A8.2",
            field="account",
        )
    _active_account(account, today)
    cred = _lock_credential(account)
    officer = None
    token = ""
    if account.kind == AccountKind.PERSONAL:
        assert account.person is not None  # personal IDs have a holder (account_holder_matches_kind)
        officer = _officer_of(account.person, today)
        if officer is None:
            raise RuleViolation(
                _("%(name)s has no security officer to notify today (Art. 8(3)).")
                % {"name": account.person.full_name},
                clause="A8.3",
                field="account",
            )
        # Issue 10: the value is random (no longer derived from the token), and kept until its
        # reveal only sealed under token + server key (RevealLink.sealed, erased once used).
        token = new_token()
        for _attempt in range(50):
            value = generate_temporary(policy.min_length)
            if character_classes(value) >= policy.min_character_classes and not _reused(cred, policy, value):
                break
    else:
        value = _generate_for(cred, policy)
    _set_password(cred, policy, value, now=now, temporary=True)
    assert cred.temporary_expires_at is not None  # set by _set_password(temporary=True)
    link = None
    if officer is not None:
        RevealLink.objects.filter(credential=cred, used_at__isnull=True, expires_at__gt=now).update(
            expires_at=now, sealed=""
        )
        link = RevealLink.objects.create(
            credential=cred,
            recipient=officer,
            digest=token_digest(token),
            sealed=seal_temporary(value, token),
            created_at=now,
            expires_at=cred.temporary_expires_at,
            issued_by=_user(actor),
            length=policy.min_length,
        )
    _event(
        account,
        CredentialEventKind.TEMPORARY_ISSUED,
        actor=actor,
        now=now,
        deadline=cred.temporary_expires_at,
        note=officer.full_name if officer else "",
    )
    audit_record(
        actor=actor,
        action=AuditAction.TEMPORARY_PASSWORD_ISSUED,
        target=account,
        new={
            **_snapshot(account),
            "expires_at": cred.temporary_expires_at,
            "security_officer": officer.pk if officer else None,
            "reveal_link": link.pk if link else None,
        },
    )
    if officer is not None:
        person = account.person
        assert person is not None  # an officer is only found for personal IDs
        notification_send(
            recipients=[officer],
            clause="A8.3",
            subject=_("Temporary password registered for %(name)s") % {"name": person.full_name},
            body=_(
                "The administrator of %(system)s registered a temporary password for %(name)s (user ID "
                "%(uid)s). Open the link below to see it — it is shown once, only to you, until %(until)s. "
                "Hand it to %(name)s in person; they must change it at first use (Art. 8(4)). "
                "The password itself is not in this message (Art. 8(5))."
            )
            % {
                "system": system.name,
                "name": person.full_name,
                "uid": account.user_id,
                "until": wareki_datetime(timezone.localtime(cred.temporary_expires_at)),
            },
            target=account,
            # Issue 10: the token travels in the fragment, which browsers never send: it reaches no
            # access log; a tiny script posts it in the body (credentials/reveal.js).
            link=f"{reverse('credentials:reveal')}#{token}",
        )
        notification_send(
            recipients=[person],
            clause="A8.4",
            subject=_("A temporary password was registered for your user ID %(uid)s")
            % {"uid": account.user_id},
            body=_(
                "Your security officer will hand you the temporary password for %(system)s. Change it the "
                "first time you use it (Art. 8(4)); it expires unused on %(until)s."
            )
            % {
                "system": system.name,
                "until": wareki_datetime(timezone.localtime(cred.temporary_expires_at)),
            },
            target=account,
        )
        return IssuedTemporary(credential=cred, officer=officer, reveal_link=link)
    return IssuedTemporary(credential=cred, value=value)


def reveal_link_for(*, actor, token: str, ip_address: str | None = None) -> RevealLink:
    """The reveal link behind ``token`` if it is addressed to ``actor``; otherwise 404 (and the
    attempt is audited). Used or expired links are a ``Conflict``."""
    link = (
        RevealLink.objects.select_related(
            "credential__account__system", "credential__account__person", "recipient"
        )
        .filter(digest=token_digest(token or ""))
        .first()
    )
    person_id = getattr(actor, "person_id", None)
    if link is None or person_id is None or link.recipient_id != person_id:
        if link is not None:
            audit_record(
                actor=_user(actor),
                action=AuditAction.ACCESS_DENIED,
                target=link,
                target_label=f"credentials.reveallink:{link.pk}",
                new={"action": "reveal"},
                ip_address=ip_address,
            )
        raise NotFound(_("Not found."))
    if link.used_at is not None:
        raise Conflict(
            _(
                "This link has already been used: a temporary password is shown only once. If it was "
                "lost, ask the administrator to issue a new one."
            ),
            clause="A8.3",
        )
    if link.expires_at <= timezone.now():
        raise Conflict(
            _("This link has expired. Ask the administrator to issue a new temporary password."),
            clause="A8.3",
        )
    return link


@sensitive_variables("value", "token")
def temporary_password_reveal(
    *, actor, token: str, ip_address: str | None = None, now: dt.datetime | None = None
) -> str:
    """Show a temporary password once, to the security officer the link was sent to (A8.3)."""
    reveal_link_for(actor=actor, token=token, ip_address=ip_address)
    now = now or timezone.now()
    with transaction.atomic():
        link = RevealLink.objects.select_for_update().get(digest=token_digest(token))
        if link.used_at is not None or link.expires_at <= now:
            raise Conflict(_("This link has already been used or has expired."), clause="A8.3")
        cred = (
            Credential.objects.select_for_update()
            .select_related("account__system")
            .get(pk=link.credential_id)
        )
        try:
            value = open_temporary(link.sealed, token)  # issue 10: sealed copy, erased below
        except ValueError:
            value = ""
        if not value or not cred.is_temporary or not verify_password(value, cred.verifier):
            raise Conflict(_("This temporary password has already been changed or replaced."), clause="A8.3")
        link.used_at = now
        link.sealed = ""
        link.save(update_fields=["used_at", "sealed"])
        _event(cred.account, CredentialEventKind.TEMPORARY_REVEALED, actor=actor, now=now)
        audit_record(
            actor=actor,
            action=AuditAction.TEMPORARY_PASSWORD_REVEALED,
            target=cred.account,
            new={**_snapshot(cred.account), "reveal_link": link.pk},
            ip_address=ip_address,
        )
    return value


# --- maintenance staff (A8.8) -------------------------------------------------------------------


@sensitive_variables("value")
@transaction.atomic
def maintenance_password_set(*, actor, account: Account, now: dt.datetime | None = None) -> IssuedSecret:
    """The administrator sets (generates) a maintenance staff password and hands it over (A8.8).
    It is valid until the policy's maximum age and never beyond the maintenance registration."""
    now = now or timezone.now()
    account = (
        Account.objects.select_for_update(of=("self",)).select_related("system", "person").get(pk=account.pk)
    )
    _require_administrator(actor, account.system, "A8.8")
    if account.kind != AccountKind.MAINTENANCE:
        raise RuleViolation(
            _("Only maintenance staff passwords are set by the administrator."),
            clause="A8.8",
            field="account",
        )
    policy = policy_for(account.system)
    if not policy.holds_verifier:
        raise RuleViolation(
            _("The passwords of %(system)s are held by the system.") % {"system": account.system.name},
            clause="A8.8",
            field="account",
        )
    _active_account(account, timezone.localdate(now))
    cred = _lock_credential(account)
    value = _generate_for(cred, policy)
    _set_password(cred, policy, value, now=now, temporary=False)
    _event(account, CredentialEventKind.SET_BY_ADMINISTRATOR, actor=actor, now=now, deadline=cred.expires_at)
    audit_record(
        actor=actor,
        action=AuditAction.MAINTENANCE_PASSWORD_SET,
        target=account,
        new={**_snapshot(account), "expires_at": cred.expires_at},
    )
    return IssuedSecret(credential=cred, value=value)


# --- changing a password (A8.4, A8.6, A8.7) -----------------------------------------------------


def _record_failure(
    cred: Credential,
    policy: CredentialPolicy,
    *,
    now: dt.datetime,
    actor=None,
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
    cred: Credential, *, now: dt.datetime, actor=None, actor_label: str | None = None
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


@sensitive_variables("current", "new")
def password_change(
    *,
    actor,
    account: Account,
    current: str,
    new: str,
    via: str = "kengen",
    ip_address: str | None = None,
    now: dt.datetime | None = None,
) -> Credential:
    """The holder changes their own password: the current one, then a new one that meets A8.6
    and is none of the last N (A8.7). A temporary password must be changed this way at first use
    (A8.4). ``actor=None`` with ``via`` naming a system: the change came through that system's
    API key (knowing the current password is the proof)."""
    now = now or timezone.now()
    account = Account.objects.select_related("system", "person", "holder_organization").get(pk=account.pk)
    if actor is not None and (
        account.person_id is None or account.person_id != getattr(actor, "person_id", None)
    ):
        raise NotFound(_("Not found."))
    actor_label = None if actor is not None else f"system {via}"
    if account.kind == AccountKind.VIEWING:
        raise RuleViolation(
            _("A viewing password is replaced by Kengen at each lending and return."),
            clause="A11.4",
            field="account",
        )
    if account.kind == AccountKind.MAINTENANCE and actor is not None:
        raise RuleViolation(_("Maintenance staff passwords are set by the administrator."), clause="A8.8")
    policy = policy_for(account.system)
    if not policy.holds_verifier:
        raise RuleViolation(
            _(
                "The passwords of %(system)s are held by the system: change it there, applying on Form 2 "
                "where required (Art. 8(1))."
            )
            % {"system": account.system.name},
            clause="A8.1",
            field="account",
        )
    refusal: DomainError | None = None
    with transaction.atomic():
        cred = Credential.objects.select_for_update().filter(account=account).first()
        if cred is None or not cred.verifier:
            refusal = Conflict(_("There is no password to change yet."), field="current_password")
        elif not account.is_active_on(timezone.localdate(now)):
            refusal = Conflict(_("User ID %(uid)s is not in force today.") % {"uid": account.user_id})
        elif _expire_temporary_if_due(cred, now=now, actor=actor, actor_label=actor_label) or cred.locked_at:
            refusal = Conflict(
                _("This password is locked. Ask the administrator for a new temporary password."),
                clause="A8.4",
                field="current_password",
            )
        elif not verify_password(current, cred.verifier):
            locked = _record_failure(
                cred, policy, now=now, actor=actor, actor_label=actor_label, ip_address=ip_address
            )
            refusal = RuleViolation(
                _("The current password is wrong.")
                + (" " + _("The password is now locked.") if locked else ""),
                field="current_password",
            )
    if refusal is not None:
        raise refusal  # the failure above is committed; the refusal changes nothing else
    assert cred is not None  # no credential is refused above
    with transaction.atomic():
        cred = Credential.objects.select_for_update().select_related("account").get(pk=cred.pk)
        check_strength(
            new,
            min_length=policy.min_length,
            min_character_classes=policy.min_character_classes,
            context=context_for(account),
            field="new_password",
        )
        if verify_password(new, cred.verifier):
            raise RuleViolation(
                _("The new password must differ from the current one."),
                clause="A8.4" if cred.is_temporary else "A8.7",
                field="new_password",
            )
        if _reused(cred, policy, new):
            raise RuleViolation(
                _("The new password must not be one of your last %(n)d passwords (Art. 8(7)).")
                % {"n": policy.history_count},
                clause="A8.7",
                field="new_password",
            )
        was_temporary = cred.is_temporary
        _set_password(cred, policy, new, now=now, temporary=False)
        _event(
            account,
            CredentialEventKind.CHANGED,
            actor=actor,
            now=now,
            deadline=cred.expires_at,
            actor_label=actor_label,
            note=_("temporary password replaced") if was_temporary else "",
        )
        audit_record(
            actor=actor,
            actor_label=actor_label,
            action=AuditAction.PASSWORD_CHANGED,
            target=account,
            new={
                **_snapshot(account),
                "was_temporary": was_temporary,
                "expires_at": cred.expires_at,
                "via": via,
            },
            ip_address=ip_address,
        )
    return cred


# --- passwords held by the system: events only --------------------------------------------------


@transaction.atomic
def password_event_record(
    *,
    actor,
    account: Account,
    event: str,
    occurred_at: dt.datetime | None = None,
    reference: str = "",
    note: str = "",
) -> CredentialEvent:
    """For a system that holds its own passwords, the administrator records that a temporary
    password was registered in it (A8.2; the security officer is notified, A8.3) or that the
    password was changed (A8.1, A8.7). Kengen then tracks the deadlines."""
    now = timezone.now()
    at = occurred_at or now
    account = (
        Account.objects.select_for_update(of=("self",)).select_related("system", "person").get(pk=account.pk)
    )
    system = account.system
    if event not in RecordedEvent.values:
        raise RuleViolation(_("Unknown event."), field="event")
    clause = "A8.2" if event == RecordedEvent.TEMPORARY_ISSUED else "A8.7"
    _require_administrator(actor, system, "A8.8" if account.kind == AccountKind.MAINTENANCE else clause)
    policy = policy_for(system)
    if policy.holds_verifier:
        raise RuleViolation(
            _("Kengen holds the passwords of %(system)s: issue or change them here instead.")
            % {"system": system.name},
            clause=clause,
            field="event",
        )
    if at > now + dt.timedelta(minutes=5):
        raise RuleViolation(_("An event cannot be recorded in the future."), field="occurred_at")
    if (
        event == RecordedEvent.TEMPORARY_ISSUED
        and account.kind == AccountKind.PERSONAL
        and system.kind not in TEMPORARY_PASSWORD_SYSTEMS
    ):
        raise RuleViolation(
            _(
                "Temporary passwords are registered by the administrators of COKAS-R/ADⅡ and the "
                "intermediate server (Art. 8(2)). For %(system)s the user applies on Form 2 (Art. 8(1))."
            )
            % {"system": system.name},
            clause="A8.2",
            field="event",
        )
    cred = _lock_credential(account)
    cred.changed_at = at
    cred.failed_attempts = 0
    cred.locked_at = None
    cred.lock_reason = ""
    cred.reminded_for = None
    cred.due_recorded_for = None
    if event == RecordedEvent.TEMPORARY_ISSUED:
        cred.is_temporary = True
        cred.temporary_expires_at = at + dt.timedelta(days=policy.temporary_validity_days)
        cred.expires_at = None
        kind, deadline = CredentialEventKind.TEMPORARY_ISSUED, cred.temporary_expires_at
    else:
        cred.is_temporary = False
        cred.temporary_expires_at = None
        cred.expires_at = password_deadline(account, policy, at)
        kind, deadline = CredentialEventKind.CHANGED, cred.expires_at
    cred.save()
    ev = _event(account, kind, actor=actor, now=at, deadline=deadline, reference=reference, note=note)
    audit_record(
        actor=actor,
        action=AuditAction.PASSWORD_EVENT_RECORDED,
        target=account,
        application_ref=reference,
        new={**_snapshot(account), "event": event, "occurred_at": at, "deadline": deadline},
    )
    if (
        event == RecordedEvent.TEMPORARY_ISSUED
        and account.person is not None
        and account.kind == AccountKind.PERSONAL
    ):
        officer = _officer_of(account.person, timezone.localdate(at))
        notification_send(
            recipients=[officer],
            clause="A8.3",
            subject=_("Temporary password registered for %(name)s") % {"name": account.person.full_name},
            body=_(
                "The administrator of %(system)s registered a temporary password for %(name)s (user ID %(uid)s) "
                "in the system. It reaches you by the system's own procedure, never through Kengen. "
                "%(name)s must change it at first use, by %(until)s (Art. 8(4))."
            )
            % {
                "system": system.name,
                "name": account.person.full_name,
                "uid": account.user_id,
                "until": wareki_datetime(timezone.localtime(deadline)),
            },
            target=account,
        )
    return ev


# --- the verify API (systems whose passwords Kengen holds) --------------------------------------


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


# --- system API keys ----------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedKey:
    key: SystemApiKey
    raw: str = field(repr=False)


@sensitive_variables("raw")
@transaction.atomic
def system_api_key_create(*, actor, system: System, name: str) -> IssuedKey:
    """A key for ``system`` to call the verify API; created by its administrator, shown once."""
    root = system.account_system
    _require_administrator(actor, root, "A3.1")
    raw = API_KEY_PREFIX + new_token()
    key = SystemApiKey.objects.create(
        system=root,
        name=name.strip()[:100] or root.code,
        prefix=raw[:12],
        digest=token_digest(raw),
        created_by=_user(actor),
    )
    audit_record(
        actor=actor,
        action=AuditAction.SYSTEM_API_KEY_CREATED,
        target=key,
        new={"system": root.code, "name": key.name, "prefix": key.prefix},
    )
    return IssuedKey(key=key, raw=raw)


@transaction.atomic
def system_api_key_revoke(*, actor, key: SystemApiKey) -> SystemApiKey:
    key = SystemApiKey.objects.select_for_update().select_related("system").get(pk=key.pk)
    _require_administrator(actor, key.system, "A3.1")
    if key.revoked_at is not None:
        raise Conflict(_("This key is already revoked."))
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action=AuditAction.SYSTEM_API_KEY_REVOKED,
        target=key,
        new={"system": key.system.code, "prefix": key.prefix},
    )
    return key


def system_api_key_authenticate(raw: str) -> SystemApiKey | None:
    if not raw or not raw.startswith(API_KEY_PREFIX):
        return None
    key = SystemApiKey.objects.select_related("system").filter(digest=token_digest(raw)).first()
    if key is None or key.revoked_at is not None:
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > dt.timedelta(minutes=5):
        SystemApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key


# --- 別記様式2 (A8.1, F2) --------------------------------------------------------------------------


def _next_form2_number(today: dt.date) -> str:
    fy = today.year if today.month >= 4 else today.year - 1
    prefix = f"P{fy}-"
    last = PasswordApplication.objects.filter(number__startswith=prefix).aggregate(m=Max("number"))["m"]
    seq = int(last.split("-")[1]) + 1 if last else 1
    return f"{prefix}{seq:05d}"


def requires_officer(person: Person, on: dt.date) -> bool:
    """A8.1 proviso: for a fiscal-year appointee the security officer applies."""
    appointment = person.appointment_on(on)
    return appointment is not None and appointment.is_fiscal_year


@transaction.atomic
def password_application_create(
    *,
    actor,
    account: Account,
    kind: str = PasswordApplicationKind.CHANGE,
    reason: str = "",
    today: dt.date | None = None,
) -> PasswordApplication:
    """Draft a Form 2 for a user ID on a system that holds its own passwords (A8.1): the user
    applies for themselves; for a fiscal-year appointee only the security officer may."""
    today = today or timezone.localdate()
    account = Account.objects.select_related("system", "person").get(pk=account.pk)
    person = account.person
    if person is None:  # a viewing ID: nobody's own
        raise NotFound(_("Not found."))
    is_officer = Person.objects.restrict(actor, "change", on=today).filter(pk=person.pk).exists()
    is_self = getattr(actor, "person_id", None) == person.pk
    if not (is_self or is_officer):
        raise NotFound(_("Not found."))
    if account.kind != AccountKind.PERSONAL:
        raise RuleViolation(_("Form 2 is for system users' own user IDs."), clause="A8.1", field="account")
    if kind not in PasswordApplicationKind.values:
        raise RuleViolation(_("Choose registration or change."), clause="A8.1", field="kind")
    if policy_for(account.system).holds_verifier and kind != PasswordApplicationKind.REGISTER:
        raise RuleViolation(
            _(
                "Kengen holds the passwords of %(system)s: change yours on the “My passwords” page; a first "
                "password is a temporary one from the administrator."
            )
            % {"system": account.system.name},
            clause="A8.1",
            field="account",
        )
    _active_account(account, today)
    if requires_officer(person, today):
        if not is_officer or is_self:
            raise RuleViolation(
                _(
                    "%(name)s is a fiscal-year appointee: the security officer applies for their password "
                    "(Art. 8(1) proviso)."
                )
                % {"name": person.full_name},
                clause="A8.1",
                field="account",
            )
        applicant_kind = ApplicantKind.OFFICER
    else:
        if not is_self:
            raise RuleViolation(
                _(
                    "%(name)s applies for their own password; the security officer applies only for "
                    "fiscal-year appointees (Art. 8(1))."
                )
                % {"name": person.full_name},
                clause="A8.1",
                field="account",
            )
        applicant_kind = ApplicantKind.SELF
    assignments = sorted(person.assignments_on(today), key=lambda a: (not a.is_primary, a.valid_from))
    if not assignments:
        raise RuleViolation(
            _("%(name)s belongs to no unit today.") % {"name": person.full_name}, clause="A8.1"
        )
    app = PasswordApplication.objects.create(
        number=_next_form2_number(today),
        system=account.system,
        account=account,
        person=person,
        organization=assignments[0].organization,
        kind=kind,
        applicant_kind=applicant_kind,
        applicant=actor.person,
        reason=reason.strip(),
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action=AuditAction.PASSWORD_APPLICATION_CREATED,
        target=app,
        application_ref=app.number,
        new={
            "system": account.system.code,
            "user_id": account.user_id,
            "person": person.pk,
            "kind": kind,
            "applicant_kind": applicant_kind,
        },
    )
    return app


def _lock_application(app: PasswordApplication, user, action: str) -> PasswordApplication:
    locked = PasswordApplication.objects.restrict(user, action).select_for_update().filter(pk=app.pk).first()
    if locked is None:
        raise NotFound(_("Not found."))
    return locked


def _expect(app: PasswordApplication, *statuses: str) -> None:
    if app.status not in statuses:
        raise Conflict(
            _("Application %(number)s is %(status)s; this cannot be done now.")
            % {"number": app.number, "status": app.get_status_display()}
        )


def _notify_applicant(app: PasswordApplication, subject: str, body: str) -> None:
    notification_send(
        recipients=[app.applicant, app.person],
        clause="A8.1",
        subject=subject,
        body=body,
        target=app,
        link=reverse("credentials:form2_detail", args=[app.pk]),
    )


@transaction.atomic
def password_application_submit(*, actor, application: PasswordApplication) -> PasswordApplication:
    app = _lock_application(application, actor, "change")
    _expect(app, PasswordApplicationStatus.DRAFT)
    app.status = PasswordApplicationStatus.SUBMITTED
    app.submitted_at = timezone.now()
    app.save(update_fields=["status", "submitted_at"])
    audit_record(
        actor=actor,
        action=AuditAction.PASSWORD_APPLICATION_SUBMITTED,
        target=app,
        application_ref=app.number,
        old={"status": PasswordApplicationStatus.DRAFT},
        new={"status": app.status},
    )
    notification_send(
        recipients=administrators_of(app.system, timezone.localdate()),
        clause="A8.1",
        subject=_("Password application %(number)s (Form 2)") % {"number": app.number},
        body=_(
            "%(name)s (user ID %(uid)s) applies for a password %(kind)s on %(system)s. Register or change it in "
            "the system, then record the completion in Kengen."
        )
        % {
            "name": app.person.full_name,
            "uid": app.account.user_id,
            "kind": app.get_kind_display(),
            "system": app.system.name,
        },
        target=app,
        link=reverse("credentials:form2_detail", args=[app.pk]),
    )
    return app


@transaction.atomic
def password_application_withdraw(*, actor, application: PasswordApplication) -> PasswordApplication:
    app = _lock_application(application, actor, "change")
    _expect(app, PasswordApplicationStatus.DRAFT, PasswordApplicationStatus.SUBMITTED)
    old = app.status
    app.status = PasswordApplicationStatus.WITHDRAWN
    app.decided_at = timezone.now()
    app.save(update_fields=["status", "decided_at"])
    audit_record(
        actor=actor,
        action=AuditAction.PASSWORD_APPLICATION_WITHDRAWN,
        target=app,
        application_ref=app.number,
        old={"status": old},
        new={"status": app.status},
    )
    return app


@transaction.atomic
def password_application_complete(*, actor, application: PasswordApplication) -> PasswordApplication:
    """The administrator records that the password was registered or changed in the system (A8.1);
    Kengen starts the A8.7 deadline from now. Neither the form nor Kengen sees the password."""
    app = _lock_application(application, actor, "decide")
    _expect(app, PasswordApplicationStatus.SUBMITTED)
    now = timezone.now()
    if policy_for(app.account.system).holds_verifier:
        # Kengen holds the verifier: the first password is a temporary one, revealed once to the
        # security officer and changed at first use (A8.1 with A8.3/A8.4).
        temporary_password_issue(actor=actor, account=app.account, now=now, form2=app)
    else:
        password_event_record(
            actor=actor,
            account=app.account,
            event=RecordedEvent.CHANGED,
            occurred_at=now,
            reference=app.number,
            note=app.get_kind_display(),
        )
    app.status = PasswordApplicationStatus.COMPLETED
    app.decided_at = now
    app.decided_by = actor.person
    app.save(update_fields=["status", "decided_at", "decided_by"])
    audit_record(
        actor=actor,
        action=AuditAction.PASSWORD_APPLICATION_COMPLETED,
        target=app,
        application_ref=app.number,
        old={"status": PasswordApplicationStatus.SUBMITTED},
        new={"status": app.status},
    )
    _notify_applicant(
        app,
        _("Password application %(number)s completed") % {"number": app.number},
        _(
            "The administrator of %(system)s completed the password %(kind)s for user ID %(uid)s on %(date)s. "
            "The password is handed over by the system's own procedure, never in Kengen or on the form."
        )
        % {
            "system": app.system.name,
            "kind": app.get_kind_display(),
            "uid": app.account.user_id,
            "date": wareki(timezone.localdate(now)),
        },
    )
    return app


@transaction.atomic
def password_application_reject(
    *, actor, application: PasswordApplication, reason: str
) -> PasswordApplication:
    app = _lock_application(application, actor, "decide")
    _expect(app, PasswordApplicationStatus.SUBMITTED)
    if not reason.strip():
        raise RuleViolation(_("Say why the application is rejected."), field="reason")
    app.status = PasswordApplicationStatus.REJECTED
    app.rejection_reason = reason.strip()
    app.decided_at = timezone.now()
    app.decided_by = actor.person
    app.save(update_fields=["status", "rejection_reason", "decided_at", "decided_by"])
    audit_record(
        actor=actor,
        action=AuditAction.PASSWORD_APPLICATION_REJECTED,
        target=app,
        application_ref=app.number,
        old={"status": PasswordApplicationStatus.SUBMITTED},
        new={"status": app.status, "reason": app.rejection_reason},
    )
    _notify_applicant(
        app,
        _("Password application %(number)s was rejected") % {"number": app.number},
        _("Reason: %(reason)s") % {"reason": app.rejection_reason},
    )
    return app


# --- what falls due (run by ``kengen run-due``) -------------------------------------------------


def _notify_due(cred: Credential, policy: CredentialPolicy, subject: str, body: str, clause: str) -> None:
    account = cred.account
    today = timezone.localdate()
    if account.kind == AccountKind.PERSONAL and account.person is not None:
        recipients = [account.person]
        link = reverse("credentials:mine") if policy.holds_verifier else reverse("credentials:form2_new")
        if not policy.holds_verifier and requires_officer(account.person, today):
            officer = _officer_of(account.person, today)
            if officer is not None:  # A8.1: the officer applies for them
                recipients.append(officer)
    elif account.kind == AccountKind.MAINTENANCE:
        recipients = list(administrators_of(account.system, today))
        link = reverse("credentials:account", args=[account.pk])
    else:
        return
    notification_send(
        recipients=recipients, clause=clause, subject=subject, body=body, target=account, link=link
    )


def expire_temporary_passwords(now: dt.datetime) -> int:
    """A8.4: temporary passwords not changed in time lock their user ID until a new one is issued."""
    done = 0
    ids = Credential.objects.filter(is_temporary=True, temporary_expires_at__lte=now, locked_at__isnull=True)
    for cid in list(ids.values_list("id", flat=True)):
        with transaction.atomic():
            cred = (
                Credential.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("account__system", "account__person")
                .filter(pk=cid)
                .first()
            )
            if cred is None or not _expire_temporary_if_due(cred, now=now, actor_label="kengen run-due"):
                continue
            account = cred.account
            who = account.person.full_name if account.person else account.user_id
            recipients = list(administrators_of(account.system, timezone.localdate(now)))
            if account.kind == AccountKind.PERSONAL and account.person is not None:
                officer = _officer_of(account.person, timezone.localdate(now))
                recipients += [officer, account.person] if officer else [account.person]
            notification_send(
                recipients=recipients,
                clause="A8.4",
                subject=_("Temporary password of %(who)s expired unused") % {"who": who},
                body=_(
                    "The temporary password for user ID %(uid)s on %(system)s was not changed in time and is "
                    "now locked. The administrator issues a new one."
                )
                % {"uid": account.user_id, "system": account.system.name},
                target=account,
                link=reverse("credentials:account", args=[account.pk]),
            )
            done += 1
    return done


def remind_password_changes(now: dt.datetime) -> int:
    """A8.7: remind holders (maintenance staff: the administrators) before a change falls due."""
    horizon = max(
        [policy_default_reminder(), *CredentialPolicy.objects.values_list("reminder_days", flat=True)]
    )
    candidates = Credential.objects.filter(
        is_temporary=False,
        locked_at__isnull=True,
        expires_at__gt=now,
        expires_at__lte=now + dt.timedelta(days=horizon),
    ).exclude(account__kind=AccountKind.VIEWING)
    done = 0
    for cid in list(candidates.values_list("id", flat=True)):
        with transaction.atomic():
            cred = (
                Credential.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("account__system", "account__person")
                .filter(pk=cid)
                .first()
            )
            if cred is None or cred.expires_at is None or cred.reminded_for == cred.expires_at:
                continue
            policy = policy_for(cred.account.system)
            if cred.expires_at - dt.timedelta(days=policy.reminder_days) > now:
                continue
            if not cred.account.is_active_on(timezone.localdate(now)):
                continue
            cred.reminded_for = cred.expires_at
            cred.save(update_fields=["reminded_for", "updated_at"])
            _event(
                cred.account,
                CredentialEventKind.REMINDED,
                actor=None,
                now=now,
                deadline=cred.expires_at,
                actor_label="kengen run-due",
            )
            due = wareki_datetime(timezone.localtime(cred.expires_at))
            how = (
                _("Change it on the “My passwords” page.")
                if policy.holds_verifier
                else _("Change it in the system, applying on Form 2 where required (Art. 8(1)).")
            )
            _notify_due(
                cred,
                policy,
                _("Password change due by %(date)s: %(uid)s") % {"date": due, "uid": cred.account.user_id},
                _(
                    "The password of user ID %(uid)s on %(system)s must be changed by %(date)s (Art. 8(7)). %(how)s"
                )
                % {"uid": cred.account.user_id, "system": cred.account.system.name, "date": due, "how": how},
                "A8.7",
            )
            done += 1
    return done


def policy_default_reminder() -> int:
    from kengen.credentials.models import policy_default

    return int(policy_default("reminder_days"))


def record_due_passwords(now: dt.datetime) -> int:
    """A8.7/A8.8: passwords past their deadline are recorded as due (once per deadline)."""
    done = 0
    candidates = Credential.objects.filter(is_temporary=False, expires_at__lte=now).exclude(
        account__kind=AccountKind.VIEWING
    )
    for cid in list(candidates.values_list("id", flat=True)):
        with transaction.atomic():
            cred = (
                Credential.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("account__system", "account__person")
                .filter(pk=cid)
                .first()
            )
            if cred is None or cred.expires_at is None or cred.due_recorded_for == cred.expires_at:
                continue
            cred.due_recorded_for = cred.expires_at
            cred.save(update_fields=["due_recorded_for", "updated_at"])
            _event(
                cred.account,
                CredentialEventKind.DUE,
                actor=None,
                now=now,
                deadline=cred.expires_at,
                actor_label="kengen run-due",
            )
            audit_record(
                actor=None,
                actor_label="kengen run-due",
                action=AuditAction.PASSWORD_DUE,
                target=cred.account,
                new={**_snapshot(cred.account), "deadline": cred.expires_at},
            )
            policy = policy_for(cred.account.system)
            if cred.account.is_active_on(timezone.localdate(now)):
                _notify_due(
                    cred,
                    policy,
                    _("Password change overdue: %(uid)s") % {"uid": cred.account.user_id},
                    _(
                        "The password of user ID %(uid)s on %(system)s was due to be changed by %(date)s "
                        "(Art. 8(7)). Until it is changed, sign-ins answer “expired”."
                    )
                    % {
                        "uid": cred.account.user_id,
                        "system": cred.account.system.name,
                        "date": wareki_datetime(timezone.localtime(cred.expires_at)),
                    },
                    "A8.7",
                )
            done += 1
    return done


def credentials_run_due(*, now: dt.datetime) -> dict[str, int]:
    summary = {
        "temporary_expired": expire_temporary_passwords(now),
        "password_reminders": remind_password_changes(now),
        "passwords_due": record_due_passwords(now),
    }
    VerifyThrottle.objects.filter(window_start__lt=now - dt.timedelta(days=1)).delete()
    return summary
