"""別記様式2 (A8.1, F2): password applications for systems that hold their own passwords."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kengen.audit.choices import AuditAction
from kengen.audit.services import audit_record
from kengen.core.dates import fiscal_year
from kengen.core.era import wareki
from kengen.core.exceptions import Conflict, NotFound, RuleViolation
from kengen.credentials.choices import (
    ApplicantKind,
    PasswordApplicationKind,
    PasswordApplicationStatus,
    RecordedEvent,
)
from kengen.credentials.models import PasswordApplication
from kengen.credentials.selectors import policy_for
from kengen.credentials.services._common import _active_account
from kengen.credentials.services.change import password_event_record
from kengen.credentials.services.temporary import temporary_password_issue
from kengen.grants.choices import AccountKind
from kengen.grants.models import Account
from kengen.notifications.services import notification_send
from kengen.people.models import Person
from kengen.roles.selectors import administrators_of


def _next_form2_number(today: dt.date) -> str:
    prefix = f"P{fiscal_year(today)}-"
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
