"""Changing a password (A8.4, A8.6, A8.7) and, for systems that hold their own passwords, the
events their administrators record (A8.1, A8.2, A8.7)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from kengen.audit.choices import AuditAction
from kengen.audit.services import audit_record
from kengen.core.era import wareki_datetime
from kengen.core.exceptions import Conflict, DomainError, NotFound, RuleViolation
from kengen.core.types import Actor
from kengen.credentials.choices import (
    CredentialEventKind,
    RecordedEvent,
)
from kengen.credentials.models import (
    Credential,
    CredentialEvent,
)
from kengen.credentials.passwords import (
    check_strength,
    verify_password,
)
from kengen.credentials.selectors import context_for, policy_for
from kengen.credentials.services._common import (
    TEMPORARY_PASSWORD_SYSTEMS,
    _event,
    _expire_temporary_if_due,
    _lock_credential,
    _record_failure,
    _require_administrator,
    _reused,
    _set_password,
    _snapshot,
    password_deadline,
)
from kengen.grants.choices import AccountKind
from kengen.grants.models import Account
from kengen.notifications.services import notification_send
from kengen.roles.selectors import security_officer_of_person


@sensitive_variables("current", "new")
def password_change(
    *,
    actor: Actor,
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


@transaction.atomic
def password_event_record(
    *,
    actor: Actor,
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
        officer = security_officer_of_person(account.person, timezone.localdate(at))
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
