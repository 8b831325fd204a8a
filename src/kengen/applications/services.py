"""Form 1 applications from submission to registration (A5.1–A5.4, A6.1–A6.3, A7, A10).

A security officer drafts and submits an application for people of their own units only (A4); it
goes to the administrator of the system (``Route``); whoever holds that post on the day registers
it — writing user IDs and grants into the management file in one transaction — or rejects it with
a reason, and the security officer is notified (A5.4).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kengen.applications.choices import LineAction, Route
from kengen.applications.models import Application, ApplicationLine, NetworkUserRegistration
from kengen.audit.choices import AuditAction
from kengen.audit.services import audit_record
from kengen.core.bounds import MAX_APPLICATION_LINES
from kengen.core.era import wareki
from kengen.core.exceptions import Conflict, DomainError, NotFound, PermissionDenied, RuleViolation
from kengen.core.models import active_on_q
from kengen.core.types import Actor
from kengen.grants.choices import AccountKind, EndReason, GrantBasis, Purpose
from kengen.grants.models import Account, Grant
from kengen.grants.services import (
    account_create,
    check_appointment_cap,
    check_not_held,
    check_purpose,
    grant_create,
    grant_end,
)
from kengen.organizations.models import Organization
from kengen.people.choices import PersonKind
from kengen.people.models import Person
from kengen.people.selectors import network_registration_window_start
from kengen.roles.selectors import scope_for, security_officers_for
from kengen.systems.choices import SystemKind
from kengen.systems.models import System, SystemPermission
from kengen.users.models import User
from kengen.workflow.choices import WorkflowStatus
from kengen.workflow.services import (
    AuditActions,
    Notice,
    Workflow,
    workflow_audit,
    workflow_decide,
    workflow_expect,
    workflow_lock,
    workflow_number,
    workflow_reject,
    workflow_submit,
    workflow_withdraw,
)

ROUTE_OF_KIND: dict[str, Route] = {
    SystemKind.CORE: Route.CORE,
    SystemKind.CORE_BUSINESS: Route.CORE,
    SystemKind.INTERMEDIATE: Route.INTERMEDIATE,
    SystemKind.INDIVIDUAL: Route.INDIVIDUAL,
    SystemKind.TWO_FACTOR: Route.TWO_FACTOR,
}


@dataclass
class LineSpec:
    """One row to put on an application."""

    person: Person
    system: System  # a business system of the core package, or any other system
    permissions: Sequence[SystemPermission]
    action: str = LineAction.REGISTER
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None  # exclusive


@dataclass
class RegistrationResult:
    application: Application
    grants: list[Grant] = field(default_factory=list)
    ended: list[Grant] = field(default_factory=list)


def _officer_unit(actor: User, organization: Organization) -> None:
    scope = scope_for(actor)
    if organization.id not in scope.officer_unit_ids:
        raise PermissionDenied(
            _("Only the security officer of %(unit)s can apply for its people.")
            % {"unit": organization.name},
            clause="A5.1",
        )


def _check_people_in_reach(actor: User, people: Sequence[Person], on: dt.date) -> None:
    """A4: an officer applies only for people of their own units; anyone else is 'not found'."""
    visible = set(
        Person.objects.restrict(actor, "change", on=on)
        .filter(pk__in=[p.pk for p in people])
        .values_list("pk", flat=True)
    )
    for p in people:
        if p.pk not in visible:
            raise NotFound(_("Not found."))


def requires_network_registration(person: Person, on: dt.date) -> bool:
    appointment = person.appointment_on(on)
    return appointment is not None and appointment.is_fiscal_year


def check_network_registration(person: Person, on: dt.date) -> None:
    """A5.3: a fiscal-year appointee's network user registration must be filed first, for the
    appointment in force (one filed for an earlier appointment does not count for the next)."""
    appointment = person.appointment_on(on)
    if (
        appointment is not None
        and appointment.is_fiscal_year
        and not person.network_registrations.filter(
            filed_on__lte=on, filed_on__gte=network_registration_window_start(appointment.valid_from)
        ).exists()
    ):
        raise RuleViolation(
            _(
                "%(name)s is a fiscal-year appointee: record their network user registration application "
                "(利用者情報登録申請書) before applying for permissions (A5.3)."
            )
            % {"name": person.full_name},
            clause="A5.3",
            field="person",
        )


@transaction.atomic
def network_registration_record(
    *, actor: Actor, person: Person, filed_on: dt.date, reference: str
) -> NetworkUserRegistration:
    """Record the network user registration application of a person (A5.3).

    ``actor=None`` is Kengen itself (a profile or HR import); otherwise the person's security officer."""
    if actor is not None:
        _check_people_in_reach(actor, [person], filed_on)
    if not reference.strip():
        raise RuleViolation(
            _("Give the reference of the registration application."), clause="A5.3", field="reference"
        )
    reg = NetworkUserRegistration.objects.create(
        person=person,
        filed_on=filed_on,
        reference=reference.strip(),
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(
        actor=actor,
        action=AuditAction.NETWORK_REGISTRATION_RECORDED,
        target=reg,
        new={"person": person.pk, "filed_on": filed_on, "reference": reg.reference},
    )
    return reg


def _line_snapshot(line: ApplicationLine) -> dict:
    return {
        "person": line.person_id,
        "system": line.system.code,
        "action": line.action,
        "permissions": sorted(p.code for p in line.permissions.all()),
        "valid_from": line.valid_from,
        "valid_to": line.valid_to,
        "user_id": line.user_id,
    }


def _validate_line(app: Application, spec: LineSpec, account_system: System) -> None:
    if spec.system.account_system.id != account_system.id:
        raise RuleViolation(
            _("%(system)s goes to a different administrator: make a separate application.")
            % {"system": spec.system.name},
            clause="A5.2",
            field="system",
        )
    if spec.system.kind == SystemKind.CORE:
        raise RuleViolation(_("Choose the business systems of COKAS-R/ADⅡ."), clause="A2.1", field="system")
    if not spec.permissions:
        raise RuleViolation(_("Choose at least one permission."), clause="A5.2", field="permissions")
    for perm in spec.permissions:
        if perm.system_id != spec.system.id:
            raise RuleViolation(
                _("%(perm)s is not a permission of %(system)s.")
                % {"perm": perm.name, "system": spec.system.name},
                clause="A5.2",
                field="permissions",
            )
    if spec.person.kind != PersonKind.STAFF:
        raise RuleViolation(
            _("Maintenance staff are registered by the administrator, not on Form 1."),
            clause="A5.9",
            field="person",
        )
    if spec.action not in LineAction.values:
        raise RuleViolation(_("Unknown action."), field="action")
    if spec.valid_from is None:
        raise RuleViolation(_("Give the date from which the change applies."), field="valid_from")
    if spec.valid_to is not None and spec.valid_to <= spec.valid_from:
        raise RuleViolation(_("The end must come after the start."), field="valid_to")


def appointment_end(person: Person, on: dt.date) -> dt.date | None:
    """The exclusive end of the appointment ``person`` holds on ``on``, if it has one (A7): what a
    line for a fixed-term appointee ends with unless the officer gives an earlier end."""
    appointment = person.appointment_on(on) if person.kind == PersonKind.STAFF else None
    return appointment.valid_to if appointment is not None else None


def _prefilled(spec: LineSpec) -> LineSpec:
    """A7: a registration line without an end, for a fixed-term appointee, ends with the
    appointment (the last day of the appointment is pre-filled, not left for the rule to refuse)."""
    if spec.action == LineAction.REGISTER and spec.valid_to is None and spec.valid_from is not None:
        end = appointment_end(spec.person, spec.valid_from)
        if end is not None and end > spec.valid_from:
            return LineSpec(
                person=spec.person,
                system=spec.system,
                permissions=spec.permissions,
                action=spec.action,
                valid_from=spec.valid_from,
                valid_to=end,
            )
    return spec


def _check_header(
    *,
    actor: User,
    organization: Organization,
    lines: Sequence[LineSpec],
    purpose: str,
    purpose_note: str,
    purpose_approved_by: Person | None,
    purpose_approved_on: dt.date | None,
    today: dt.date,
) -> None:
    _officer_unit(actor, organization)
    if not lines:
        raise RuleViolation(_("An application needs at least one person."), clause="A5.2", field="lines")
    if len(lines) > MAX_APPLICATION_LINES:
        # One Form 1 stays a few printed pages; more people go on further applications.
        raise RuleViolation(
            _("One application has at most %(n)d lines; split it into several.")
            % {"n": MAX_APPLICATION_LINES},
            field="lines",
        )
    _check_people_in_reach(actor, [line.person for line in lines], today)
    if purpose == Purpose.OTHER and not (
        purpose_approved_by and purpose_approved_on and purpose_note.strip()
    ):
        raise RuleViolation(
            _(
                "A purpose other than duties or training needs the security officer's approval: "
                "who approved it, on what date, and for what."
            ),
            clause="A10",
            field="purpose_approved_by",
        )


def _write_lines(app: Application, lines: Sequence[LineSpec]) -> None:
    for spec in lines:
        spec = _prefilled(spec)
        _validate_line(app, spec, app.system)
        assert spec.valid_from is not None  # _validate_line refused a line without one
        line = ApplicationLine.objects.create(
            application=app,
            person=spec.person,
            system=spec.system,
            action=spec.action,
            valid_from=spec.valid_from,
            valid_to=spec.valid_to,
        )
        line.permissions.set(spec.permissions)


@transaction.atomic
def application_create(
    *,
    actor: User,
    organization: Organization,
    system: System,
    lines: Sequence[LineSpec],
    purpose: str = Purpose.DUTIES,
    purpose_note: str = "",
    purpose_approved_by: Person | None = None,
    purpose_approved_on: dt.date | None = None,
    reason: str = "",
    today: dt.date | None = None,
    copied_from: Application | None = None,
) -> Application:
    """Draft a Form 1 for people of the officer's unit (A5.1, A5.2, A6.2). A registration line for
    a fixed-term appointee without an end ends with the appointment (A7). The rules that submission
    applies are not refused here: ``application_line_problems`` shows them beside each line."""
    today = today or timezone.localdate()
    _check_header(
        actor=actor,
        organization=organization,
        lines=lines,
        purpose=purpose,
        purpose_note=purpose_note,
        purpose_approved_by=purpose_approved_by,
        purpose_approved_on=purpose_approved_on,
        today=today,
    )
    account_system = system.account_system
    app = Application.objects.create(
        number=workflow_number(Application, today=today),
        organization=organization,
        system=account_system,
        route=ROUTE_OF_KIND[account_system.kind],
        purpose=purpose,
        purpose_note=purpose_note,
        purpose_approved_by=purpose_approved_by if purpose == Purpose.OTHER else None,
        purpose_approved_on=purpose_approved_on if purpose == Purpose.OTHER else None,
        reason=reason,
        created_by=actor,
    )
    _write_lines(app, lines)
    new: dict[str, Any] = {
        "system": account_system.code,
        "route": app.route,
        "purpose": purpose,
        "lines": [_line_snapshot(li) for li in app.lines.all()],
    }
    if copied_from is not None:
        new["copied_from"] = copied_from.number
    workflow_audit(FORM1, FORM1.audit.created, actor=actor, application=app, new=new)
    return app


@transaction.atomic
def application_update(
    *,
    actor: User,
    application: Application,
    lines: Sequence[LineSpec],
    purpose: str = Purpose.DUTIES,
    purpose_note: str = "",
    purpose_approved_by: Person | None = None,
    purpose_approved_on: dt.date | None = None,
    reason: str = "",
    organization: Organization | None = None,
    today: dt.date | None = None,
) -> Application:
    """Edit a draft: its unit, purpose, reason and lines (replaced as a whole). Only the applying
    side, only while it is a draft; the old and new lines are kept in the audit log."""
    today = today or timezone.localdate()
    app = workflow_lock(application, actor=actor, action="change")
    workflow_expect(app, WorkflowStatus.DRAFT)
    organization = organization or app.organization
    _check_header(
        actor=actor,
        organization=organization,
        lines=lines,
        purpose=purpose,
        purpose_note=purpose_note,
        purpose_approved_by=purpose_approved_by,
        purpose_approved_on=purpose_approved_on,
        today=today,
    )
    old = {
        "organization": app.organization_id,
        "purpose": app.purpose,
        "purpose_note": app.purpose_note,
        "reason": app.reason,
        "lines": [
            _line_snapshot(li) for li in app.lines.select_related("system").prefetch_related("permissions")
        ],
    }
    app.organization = organization
    app.purpose = purpose
    app.purpose_note = purpose_note
    app.purpose_approved_by = purpose_approved_by if purpose == Purpose.OTHER else None
    app.purpose_approved_on = purpose_approved_on if purpose == Purpose.OTHER else None
    app.reason = reason
    app.save(
        update_fields=[
            "organization",
            "purpose",
            "purpose_note",
            "purpose_approved_by",
            "purpose_approved_on",
            "reason",
        ]
    )
    app.lines.all().delete()
    _write_lines(app, lines)
    workflow_audit(
        FORM1,
        AuditAction.APPLICATION_UPDATED,
        actor=actor,
        application=app,
        old=old,
        new={
            "organization": app.organization_id,
            "purpose": app.purpose,
            "purpose_note": app.purpose_note,
            "reason": app.reason,
            "lines": [
                _line_snapshot(li)
                for li in app.lines.select_related("system").prefetch_related("permissions")
            ],
        },
    )
    return app


@transaction.atomic
def application_copy(*, actor: User, application: Application, today: dt.date | None = None) -> Application:
    """A rejected or withdrawn application copied to a new draft (same unit, system, purpose and
    lines) for the applying side to correct and submit again."""
    src = (
        Application.objects.restrict(actor, "change")
        .select_related("organization", "system", "purpose_approved_by")
        .filter(pk=application.pk)
        .first()
    )
    if src is None:
        raise NotFound(_("Not found."))
    workflow_expect(src, WorkflowStatus.REJECTED, WorkflowStatus.WITHDRAWN)
    lines = [
        LineSpec(
            person=li.person,
            system=li.system,
            permissions=list(li.permissions.all()),
            action=li.action,
            valid_from=li.valid_from,
            valid_to=li.valid_to,
        )
        for li in src.lines.select_related("person", "system").prefetch_related("permissions")
    ]
    return application_create(
        actor=actor,
        organization=src.organization,
        system=src.system,
        lines=lines,
        purpose=src.purpose,
        purpose_note=src.purpose_note,
        purpose_approved_by=src.purpose_approved_by,
        purpose_approved_on=src.purpose_approved_on,
        reason=src.reason,
        today=today,
        copied_from=src,
    )


def _existing_account(line: ApplicationLine) -> Account | None:
    return (
        Account.objects.filter(system=line.system.account_system, person=line.person)
        .filter(active_on_q(line.valid_from))
        .first()
    )


def _held_for_cancel(line: ApplicationLine) -> Any:
    """The open grants a cancellation line ends; refused (A5.1) when it would end nothing."""
    held = Grant.objects.filter(
        account__person=line.person,
        account__system=line.system.account_system,
        permission__in=line.permissions.all(),
        ended_at__isnull=True,
    ).filter(active_on_q(line.valid_from) | active_on_q(timezone.localdate()))
    if not held.exists():
        raise RuleViolation(
            _("%(name)s holds none of the permissions to cancel on %(system)s.")
            % {"name": line.person.full_name, "system": line.system.name},
            clause="A5.1",
            field="permissions",
        )
    return held


def _check_not_held_yet(line: ApplicationLine) -> None:
    account = _existing_account(line)
    if account is None:
        return
    for perm in line.permissions.all():
        check_not_held(account, perm, line.valid_from, line.valid_to)


def _line_violations(
    app: Application, line: ApplicationLine, earlier: Sequence[ApplicationLine]
) -> list[DomainError]:
    """Every rule submission and registration apply to one line, each refusal kept (not only the
    first): A5.3 network registration, A7 appointment cap, a permission already held, a
    cancellation of nothing, A10 purpose, and the same permission twice on the application."""
    checks: list[Any] = []
    if line.action == LineAction.REGISTER:
        checks += [
            lambda: check_network_registration(line.person, line.valid_from),
            lambda: check_appointment_cap(line.person, line.valid_from, line.valid_to),
            lambda: _check_not_held_yet(line),
        ]
    else:
        checks.append(lambda: _held_for_cancel(line))
    if app.purpose == Purpose.OTHER:
        checks.append(
            lambda: check_purpose(
                person=line.person,
                purpose=app.purpose,
                approved_by=app.purpose_approved_by,
                approved_on=app.purpose_approved_on,
                note=app.purpose_note,
            )
        )
    problems: list[DomainError] = []
    for check in checks:
        try:
            check()
        except (RuleViolation, Conflict) as refusal:
            problems.append(refusal)
    perms = {p.pk for p in line.permissions.all()}
    for other in earlier:
        if other.person_id == line.person_id and perms & {p.pk for p in other.permissions.all()}:
            problems.append(
                RuleViolation(
                    _("%(name)s appears twice on this application with the same permission.")
                    % {"name": line.person.full_name},
                    clause="A5.2",
                    field="permissions",
                )
            )
            break
    return problems


def application_line_problems(application: Application) -> dict[int, list[DomainError]]:
    """What submission (and registration) would refuse, line by line (line id → refusals), so a
    draft shows each problem beside the line it concerns. The same checks as ``_check_rules``."""
    lines = list(application.lines.select_related("person", "system").prefetch_related("permissions"))
    return {
        line.pk: found
        for i, line in enumerate(lines)
        if (found := _line_violations(application, line, lines[:i]))
    }


def _check_rules(app: Application, on_lines: Sequence[ApplicationLine]) -> None:
    """Refuse with the first problem of the first line that has one (A5.3, A7, A10, …)."""
    for i, line in enumerate(on_lines):
        problems = _line_violations(app, line, on_lines[:i])
        if problems:
            raise problems[0]


def _account_for(actor: User, line: ApplicationLine, user_ids: Mapping[int, str]) -> Account:
    system = line.system.account_system
    existing = (
        Account.objects.select_for_update()
        .filter(system=system, person=line.person)
        .filter(active_on_q(line.valid_from))
        .first()
    )
    if existing is not None:
        return existing
    user_id = (user_ids.get(line.id) or line.user_id or line.person.staff_number or "").strip()
    return account_create(
        actor=actor,
        system=system,
        user_id=user_id,
        person=line.person,
        valid_from=line.valid_from,
        kind=AccountKind.PERSONAL,
    )


def _register(app: Application, *, actor: User, user_ids: Mapping[int, str]) -> RegistrationResult:
    """Write the lines into the management file (A5.4, A6.3): grants for registrations, ends for
    cancellations; the rules are checked again first."""
    lines = list(app.lines.select_related("person", "system").prefetch_related("permissions"))
    _check_rules(app, lines)
    result = RegistrationResult(application=app)
    for line in lines:
        if line.action == LineAction.REGISTER:
            account = _account_for(actor, line, user_ids)
            line.user_id = account.user_id
            line.save(update_fields=["user_id"])
            for perm in line.permissions.all():
                result.grants.append(
                    grant_create(
                        actor=actor,
                        account=account,
                        permission=perm,
                        valid_from=line.valid_from,
                        valid_to=line.valid_to,
                        purpose=app.purpose,
                        purpose_note=app.purpose_note,
                        purpose_approved_by=app.purpose_approved_by,
                        purpose_approved_on=app.purpose_approved_on,
                        basis=GrantBasis.APPLICATION,
                        basis_reference=app.number,
                        application_ref=app.number,
                    )
                )
        else:
            held = _held_for_cancel(line)
            for g in held:
                result.ended.append(
                    grant_end(
                        actor=actor,
                        grant=g,
                        on=line.valid_from,
                        reason=EndReason.CANCELLED,
                        application_ref=app.number,
                    )
                )
    return result


class Form1Workflow(Workflow[Application]):
    """Form 1 on the shared workflow: submitted by the unit's security officer to the system's
    administrator, who registers it in the management file or rejects it (A5.2–A5.4, A6.2–A6.3)."""

    model = Application
    audit = AuditActions(
        created=AuditAction.APPLICATION_CREATED,
        submitted=AuditAction.APPLICATION_SUBMITTED,
        withdrawn=AuditAction.APPLICATION_WITHDRAWN,
        decided=AuditAction.APPLICATION_REGISTERED,
        rejected=AuditAction.APPLICATION_REJECTED,
    )
    detail_url = "applications:detail"

    def check_submit(self, app: Application, *, actor: User) -> None:
        _check_rules(app, list(app.lines.select_related("person", "system").prefetch_related("permissions")))
        if app.organization_id not in scope_for(actor).officer_unit_ids:
            raise PermissionDenied(_("Only the security officer can submit."), clause="A5.2")

    def before_submit(self, app: Application, *, actor: User) -> list[str]:
        app.applicant = actor.person
        return ["applicant"]

    def submitted_notice(self, app: Application) -> Notice:
        people = set(app.lines.values_list("person_id", flat=True))
        return Notice(
            clause="A5.2" if app.route != Route.TWO_FACTOR else "A6.2",
            subject=_("Application %(number)s from %(unit)s")
            % {"number": app.number, "unit": app.organization.name},
            body=_("A Form 1 application (%(n)d people) for %(system)s is waiting for registration.")
            % {"n": len(people), "system": app.system.name},
        )

    def decide(
        self, app: Application, *, actor: User, now: dt.datetime, **options: Any
    ) -> RegistrationResult:
        return _register(app, actor=actor, user_ids=options.get("user_ids") or {})

    def decided_audit(self, app: Application, result: RegistrationResult) -> dict[str, Any]:
        return {"grants": [g.pk for g in result.grants], "ended": [g.pk for g in result.ended]}

    def applicant_side(self, app: Application, on: dt.date) -> list[Person]:
        """The unit's security officers (A5.4), and the officer who applied."""
        officers = list(security_officers_for(app.organization_id, on))
        if app.applicant is not None and app.applicant not in officers:
            officers.append(app.applicant)
        return officers

    def decided_notice(self, app: Application, result: RegistrationResult, now: dt.datetime) -> Notice:
        return Notice(
            clause="A6.3" if app.route == Route.TWO_FACTOR else "A5.4",
            subject=_("Application %(number)s has been registered") % {"number": app.number},
            body=_("%(system)s: %(added)d permissions registered and %(ended)d cancelled, on %(date)s.")
            % {
                "system": app.system.name,
                "added": len(result.grants),
                "ended": len(result.ended),
                "date": wareki(timezone.localdate()),
            },
        )

    def rejected_notice(self, app: Application) -> Notice:
        return Notice(
            clause="A5.4",
            subject=_("Application %(number)s was rejected") % {"number": app.number},
            body=_("Reason: %(reason)s") % {"reason": app.rejection_reason},
        )

    def after_decide(self, app: Application, *, actor: User, result: RegistrationResult) -> None:
        if app.route == Route.TWO_FACTOR:  # A6.4: biometric enrolment follows
            from kengen.terminals.services import enrolment_open

            for line in app.lines.select_related("person"):
                if line.action == LineAction.REGISTER:
                    enrolment_open(actor=actor, person=line.person, application=app)


FORM1 = Form1Workflow()


def application_submit(*, actor: User, application: Application) -> Application:
    """Send the draft to the administrator. The rules are checked now and again at registration."""
    return workflow_submit(FORM1, actor=actor, application=application)


def application_withdraw(*, actor: User, application: Application) -> Application:
    return workflow_withdraw(FORM1, actor=actor, application=application)


def application_register(
    *, actor: User, application: Application, user_ids: Mapping[int, str] | None = None
) -> RegistrationResult:
    """Register the application in the management file (A5.4, A6.3), all lines or none, and
    notify the security officer. ``user_ids`` maps line id → user ID for people who have none yet
    (default: their staff number)."""
    result: RegistrationResult = workflow_decide(
        FORM1, actor=actor, application=application, user_ids=user_ids
    ).result  # built by Form1Workflow.decide around the locked, now registered application
    return result


def application_reject(*, actor: User, application: Application, reason: str) -> Application:
    return workflow_reject(FORM1, actor=actor, application=application, reason=reason)
