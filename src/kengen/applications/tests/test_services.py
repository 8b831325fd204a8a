"""Form 1 from draft to registration (A5.1–A5.4, A6.1–A6.3, A7, A10)."""

import datetime as dt

import pytest

from kengen.applications.choices import ApplicationStatus, LineAction, Route
from kengen.applications.models import Application
from kengen.applications.services import (
    LineSpec,
    application_create,
    application_register,
    application_reject,
    application_submit,
    application_withdraw,
    network_registration_record,
)
from kengen.audit.models import AuditEvent
from kengen.core.exceptions import Conflict, NotFound, PermissionDenied, RuleViolation
from kengen.grants.choices import EndReason, GrantBasis, Purpose
from kengen.grants.models import Grant
from kengen.notifications.models import Notification
from kengen.people.choices import EmploymentType
from kengen.systems.choices import SystemKind
from kengen.terminals.models import BiometricEnrolment
from kengen.testing import START, staff

pytestmark = pytest.mark.django_db
FROM = dt.date(2024, 5, 1)


@pytest.fixture
def core(world):
    return world.core()


def _draft(world, tax, people=None, *, action=LineAction.REGISTER, valid_to=None, **kwargs):
    people = people or [world.people["jinji_clerk"]]
    return application_create(
        actor=world.users["shokuin_head"],
        organization=world.shokuin,
        system=tax,
        lines=[
            LineSpec(
                person=p,
                system=tax,
                permissions=[tax.permissions.get(code="inquiry")],
                action=action,
                valid_from=FROM,
                valid_to=valid_to,
            )
            for p in people
        ],
        reason="窓口業務のため",
        **kwargs,
    )


@pytest.mark.clause("A5.1")
@pytest.mark.clause("A5.2")
@pytest.mark.clause("A5.4")
def test_officer_applies_and_core_administrator_registers_into_the_management_file(world, core, mailoutbox):
    _, tax = core
    app = _draft(world, tax)
    assert app.status == ApplicationStatus.DRAFT
    assert app.route == Route.CORE
    application_submit(actor=world.users["shokuin_head"], application=app)
    result = application_register(actor=world.users["joho_head"], application=app)

    app.refresh_from_db()
    assert app.status == ApplicationStatus.REGISTERED
    assert app.decided_by == world.people["joho_head"]
    (grant,) = result.grants
    assert grant.account.person == world.people["jinji_clerk"]
    assert grant.basis == GrantBasis.APPLICATION
    assert grant.basis_reference == app.number
    assert grant.valid_from == FROM
    note = Notification.objects.get(recipient=world.people["shokuin_head"], clause="A5.4")
    assert app.number in note.subject
    assert AuditEvent.objects.filter(action="application.registered", application_ref=app.number).exists()


@pytest.mark.clause("A4")
def test_officer_cannot_apply_for_another_organizations_person(world, core):
    _, tax = core
    before = Application.objects.count()
    with pytest.raises(NotFound):
        _draft(world, tax, people=[world.people["kazei_clerk"]])
    assert Application.objects.count() == before


@pytest.mark.clause("A5.1")
def test_only_the_units_security_officer_can_apply(world, core):
    _, tax = core
    with pytest.raises(PermissionDenied) as exc:
        application_create(
            actor=world.users["jinji_clerk"],
            organization=world.shokuin,
            system=tax,
            lines=[
                LineSpec(
                    person=world.people["jinji_clerk"],
                    system=tax,
                    permissions=[tax.permissions.get(code="inquiry")],
                    valid_from=FROM,
                )
            ],
        )
    assert exc.value.clause == "A5.1"


@pytest.mark.clause("A5.2")
def test_systems_of_different_administrators_need_separate_applications(world, core):
    _, tax = core
    jinji_sys = world.system("JINJI", "人事給与システム", owner=world.shokuin)
    with pytest.raises(RuleViolation) as exc:
        application_create(
            actor=world.users["shokuin_head"],
            organization=world.shokuin,
            system=tax,
            lines=[
                LineSpec(
                    person=world.people["jinji_clerk"],
                    system=jinji_sys,
                    permissions=[jinji_sys.permissions.first()],
                    valid_from=FROM,
                )
            ],
        )
    assert exc.value.clause == "A5.2"


@pytest.mark.clause("A5.2")
def test_individual_system_goes_to_its_owning_divisions_head(world):
    jinji_sys = world.system("JINJI", "人事給与システム", owner=world.shokuin)
    app = application_create(
        actor=world.users["shokuin_head"],
        organization=world.shokuin,
        system=jinji_sys,
        lines=[
            LineSpec(
                person=world.people["jinji_clerk"],
                system=jinji_sys,
                permissions=[jinji_sys.permissions.first()],
                valid_from=FROM,
            )
        ],
    )
    application_submit(actor=world.users["shokuin_head"], application=app)
    assert app.route == Route.INDIVIDUAL
    with pytest.raises(NotFound):  # the IT division head does not administer it
        application_register(actor=world.users["joho_head"], application=app)
    application_register(actor=world.users["shokuin_head"], application=app)
    app.refresh_from_db()
    assert app.status == ApplicationStatus.REGISTERED


@pytest.mark.clause("A5.3")
def test_fiscal_year_appointee_without_network_registration_is_refused(world, core):
    _, tax = core
    fy = staff(
        world.jinji,
        employment_type=EmploymentType.FY_PART_TIME,
        valid_from=START,
        appointment_to=dt.date(2025, 4, 1),
    )
    app = _draft(world, tax, people=[fy], valid_to=dt.date(2025, 4, 1))
    with pytest.raises(RuleViolation) as exc:
        application_submit(actor=world.users["shokuin_head"], application=app)
    assert exc.value.clause == "A5.3"
    assert "利用者情報登録申請書" in exc.value.message
    app.refresh_from_db()
    assert app.status == ApplicationStatus.DRAFT

    network_registration_record(
        actor=world.users["shokuin_head"], person=fy, filed_on=START, reference="NW-1"
    )
    application_submit(actor=world.users["shokuin_head"], application=app)
    result = application_register(actor=world.users["joho_head"], application=app)
    assert result.grants[0].valid_to == dt.date(2025, 4, 1)


@pytest.mark.clause("A7")
def test_grant_past_the_appointment_end_is_refused_on_the_application(world, core):
    _, tax = core
    fy = staff(
        world.jinji,
        employment_type=EmploymentType.FY_FULL_TIME,
        valid_from=START,
        appointment_to=dt.date(2025, 4, 1),
    )
    network_registration_record(
        actor=world.users["shokuin_head"], person=fy, filed_on=START, reference="NW-2"
    )
    app = _draft(world, tax, people=[fy], valid_to=dt.date(2025, 6, 1))
    with pytest.raises(RuleViolation) as exc:
        application_submit(actor=world.users["shokuin_head"], application=app)
    assert exc.value.clause == "A7"
    assert "令和7年3月31日" in exc.value.message


@pytest.mark.clause("A10")
def test_other_purpose_needs_the_officers_recorded_approval(world, core):
    _, tax = core
    with pytest.raises(RuleViolation) as exc:
        _draft(world, tax, purpose=Purpose.OTHER, purpose_note="統計調査")
    assert exc.value.clause == "A10"
    app = _draft(
        world,
        tax,
        purpose=Purpose.OTHER,
        purpose_note="統計調査",
        purpose_approved_by=world.people["shokuin_head"],
        purpose_approved_on=FROM,
    )
    application_submit(actor=world.users["shokuin_head"], application=app)
    grant = application_register(actor=world.users["joho_head"], application=app).grants[0]
    assert grant.purpose == Purpose.OTHER
    assert grant.purpose_approved_by == world.people["shokuin_head"]


@pytest.mark.clause("A5.4")
def test_registering_twice_or_in_the_wrong_state_is_a_conflict(world, core):
    _, tax = core
    app = _draft(world, tax)
    with pytest.raises(NotFound):  # a draft is not yet addressed to the administrator
        application_register(actor=world.users["joho_head"], application=app)
    application_submit(actor=world.users["shokuin_head"], application=app)
    application_register(actor=world.users["joho_head"], application=app)
    with pytest.raises(Conflict):
        application_register(actor=world.users["joho_head"], application=app)
    with pytest.raises(Conflict):
        application_withdraw(actor=world.users["shokuin_head"], application=app)
    assert Grant.objects.filter(basis_reference=app.number).count() == 1


def test_rejection_needs_a_reason_and_notifies_the_officer(world, core):
    _, tax = core
    app = _draft(world, tax)
    application_submit(actor=world.users["shokuin_head"], application=app)
    with pytest.raises(RuleViolation):
        application_reject(actor=world.users["joho_head"], application=app, reason="  ")
    application_reject(actor=world.users["joho_head"], application=app, reason="権限が過大です")
    app.refresh_from_db()
    assert app.status == ApplicationStatus.REJECTED
    assert Notification.objects.filter(
        recipient=world.people["shokuin_head"], body__contains="権限が過大です"
    ).exists()
    assert not Grant.objects.filter(basis_reference=app.number).exists()


@pytest.mark.clause("A5.1")
def test_cancellation_application_ends_the_permission(world, core):
    _, tax = core
    app = _draft(world, tax)
    application_submit(actor=world.users["shokuin_head"], application=app)
    (grant,) = application_register(actor=world.users["joho_head"], application=app).grants
    cancel = _draft(world, tax, action=LineAction.CANCEL)
    cancel.lines.update(valid_from=dt.date(2024, 6, 1))
    application_submit(actor=world.users["shokuin_head"], application=cancel)
    application_register(actor=world.users["joho_head"], application=cancel)
    grant.refresh_from_db()
    assert grant.valid_to == dt.date(2024, 6, 1)
    assert grant.end_reason == EndReason.CANCELLED


@pytest.mark.clause("A5.4")
def test_a_failing_line_registers_nothing(world, core):
    """All lines or none: the second person's A7 violation rolls back the first person's grant."""
    _, tax = core
    fy = staff(
        world.jinji,
        employment_type=EmploymentType.FY_FULL_TIME,
        valid_from=START,
        appointment_to=dt.date(2024, 7, 1),
    )
    network_registration_record(
        actor=world.users["shokuin_head"], person=fy, filed_on=START, reference="NW-3"
    )
    app = _draft(world, tax, people=[world.people["jinji_clerk"], fy], valid_to=dt.date(2024, 7, 1))
    application_submit(actor=world.users["shokuin_head"], application=app)
    fy.appointments.update(valid_to=dt.date(2024, 6, 1))  # HR shortened the appointment meanwhile
    with pytest.raises(RuleViolation):
        application_register(actor=world.users["joho_head"], application=app)
    assert not Grant.objects.filter(basis_reference=app.number).exists()
    app.refresh_from_db()
    assert app.status == ApplicationStatus.SUBMITTED


@pytest.mark.clause("A6.1")
@pytest.mark.clause("A6.2")
@pytest.mark.clause("A6.3")
@pytest.mark.clause("A6.4")
def test_terminal_application_goes_to_the_two_factor_administrator_and_opens_enrolment(world):
    tf = world.system(
        "2FA",
        "二要素認証システム",
        SystemKind.TWO_FACTOR,
        owner=world.joho,
        permissions=(("terminal", "端末使用"),),
    )
    app = application_create(
        actor=world.users["shokuin_head"],
        organization=world.shokuin,
        system=tf,
        lines=[
            LineSpec(
                person=world.people["jinji_clerk"],
                system=tf,
                permissions=[tf.permissions.get()],
                valid_from=FROM,
            )
        ],
    )
    assert app.route == Route.TWO_FACTOR
    application_submit(actor=world.users["shokuin_head"], application=app)
    application_register(actor=world.users["joho_head"], application=app)
    enrolment = BiometricEnrolment.objects.get(person=world.people["jinji_clerk"])
    assert enrolment.is_pending
    assert Notification.objects.filter(recipient=world.people["jinji_clerk"], clause="A6.4").exists()
    assert Notification.objects.filter(recipient=world.people["shokuin_head"], clause="A6.3").exists()
