"""別記様式2 (A8.1, F2): password applications for systems that hold their own passwords."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kengen.audit.choices import AuditAction
from kengen.core.era import wareki
from kengen.core.exceptions import NotFound, RuleViolation
from kengen.credentials.choices import (
    ApplicantKind,
    PasswordApplicationKind,
    RecordedEvent,
)
from kengen.credentials.models import PasswordApplication
from kengen.credentials.selectors import policy_for
from kengen.credentials.services._common import _active_account
from kengen.credentials.services.change import password_event_record
from kengen.credentials.services.temporary import temporary_password_issue
from kengen.grants.choices import AccountKind
from kengen.grants.models import Account
from kengen.people.models import Person
from kengen.users.models import User
from kengen.workflow.services import (
    AuditActions,
    Notice,
    Workflow,
    workflow_audit,
    workflow_decide,
    workflow_number,
    workflow_reject,
    workflow_submit,
    workflow_withdraw,
)


def requires_officer(person: Person, on: dt.date) -> bool:
    """A8.1 proviso: for a fiscal-year appointee the security officer applies."""
    appointment = person.appointment_on(on)
    return appointment is not None and appointment.is_fiscal_year


@transaction.atomic
def password_application_create(
    *,
    actor: User,
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
    applicant = actor.person
    if applicant is None:  # a sign-in linked to nobody (an unlinked superuser) applies for no one
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
        number=workflow_number(PasswordApplication, today=today),
        system=account.system,
        account=account,
        person=person,
        organization=assignments[0].organization,
        kind=kind,
        applicant_kind=applicant_kind,
        applicant=applicant,
        reason=reason.strip(),
        created_by=actor,
    )
    workflow_audit(
        FORM2,
        FORM2.audit.created,
        actor=actor,
        application=app,
        new={
            "system": account.system.code,
            "user_id": account.user_id,
            "person": person.pk,
            "kind": kind,
            "applicant_kind": applicant_kind,
        },
    )
    return app


class Form2Workflow(Workflow[PasswordApplication]):
    """Form 2 on the shared workflow: submitted by the user (or the security officer of a
    fiscal-year appointee) to the system's administrator, who completes it — registers or changes
    the password in the system and records that — or rejects it (A8.1)."""

    model = PasswordApplication
    audit = AuditActions(
        created=AuditAction.PASSWORD_APPLICATION_CREATED,
        submitted=AuditAction.PASSWORD_APPLICATION_SUBMITTED,
        withdrawn=AuditAction.PASSWORD_APPLICATION_WITHDRAWN,
        decided=AuditAction.PASSWORD_APPLICATION_COMPLETED,
        rejected=AuditAction.PASSWORD_APPLICATION_REJECTED,
    )
    detail_url = "credentials:form2_detail"

    def submitted_notice(self, app: PasswordApplication) -> Notice:
        return Notice(
            clause="A8.1",
            subject=_("Password application %(number)s (Form 2)") % {"number": app.number},
            body=_(
                "%(name)s (user ID %(uid)s) applies for a password %(kind)s on %(system)s. Register or change it "
                "in the system, then record the completion in Kengen."
            )
            % {
                "name": app.person.full_name,
                "uid": app.account.user_id,
                "kind": app.get_kind_display(),
                "system": app.system.name,
            },
        )

    def decide(self, app: PasswordApplication, *, actor: User, now: dt.datetime, **options: Any) -> None:
        """The administrator records that the password was registered or changed in the system
        (A8.1); Kengen starts the A8.7 deadline from now. Neither the form nor Kengen sees it."""
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

    def applicant_side(self, app: PasswordApplication, on: dt.date) -> list[Person]:
        return [app.applicant, app.person]

    def decided_notice(self, app: PasswordApplication, result: None, now: dt.datetime) -> Notice:
        return Notice(
            clause="A8.1",
            subject=_("Password application %(number)s completed") % {"number": app.number},
            body=_(
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

    def rejected_notice(self, app: PasswordApplication) -> Notice:
        return Notice(
            clause="A8.1",
            subject=_("Password application %(number)s was rejected") % {"number": app.number},
            body=_("Reason: %(reason)s") % {"reason": app.rejection_reason},
        )


FORM2 = Form2Workflow()


def password_application_submit(*, actor: User, application: PasswordApplication) -> PasswordApplication:
    return workflow_submit(FORM2, actor=actor, application=application)


def password_application_withdraw(*, actor: User, application: PasswordApplication) -> PasswordApplication:
    return workflow_withdraw(FORM2, actor=actor, application=application)


def password_application_complete(*, actor: User, application: PasswordApplication) -> PasswordApplication:
    """The administrator records that the password was registered or changed in the system (A8.1);
    Kengen starts the A8.7 deadline from now. Neither the form nor Kengen sees the password."""
    return workflow_decide(FORM2, actor=actor, application=application).application


def password_application_reject(
    *, actor: User, application: PasswordApplication, reason: str
) -> PasswordApplication:
    return workflow_reject(FORM2, actor=actor, application=application, reason=reason)
