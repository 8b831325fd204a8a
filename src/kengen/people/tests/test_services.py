"""Registering people (A2.4, A2.5) and recording appointments (A7) and assignments (AS)."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import pytest
from django.db import IntegrityError, transaction

from kengen.audit.choices import AuditAction
from kengen.audit.models import AuditEvent
from kengen.contractors.services import contractor_create
from kengen.core.exceptions import Conflict, RuleViolation
from kengen.people.choices import (
    AppointmentEndReason,
    AssignmentEndReason,
    EmploymentType,
    PersonKind,
)
from kengen.people.models import Appointment, Assignment, Person
from kengen.people.services import (
    appointment_end,
    appointment_start,
    assignment_end,
    assignment_move,
    assignment_start,
    person_create,
)
from kengen.personnel.services import organization_end
from kengen.testing import START, org, staff

pytestmark = pytest.mark.django_db

D = dt.date(2025, 4, 1)


@contextmanager
def nothing_written(*models):
    before = {m: m.objects.count() for m in models}
    yield
    assert {m: m.objects.count() for m in models} == before


def new_person(**kwargs):
    defaults = {
        "family_name": "佐々木",
        "given_name": "桜",
        "family_name_kana": "ササキ",
        "given_name_kana": "サクラ",
        "staff_number": "S000100",
    }
    return person_create(actor=None, **{**defaults, **kwargs})


# --- people -------------------------------------------------------------------------------------


@pytest.mark.clause("A2.4")
@pytest.mark.parametrize("number", [None, ""])
def test_staff_without_a_staff_number_are_refused(db, number):
    with nothing_written(Person, AuditEvent), pytest.raises(RuleViolation) as exc:
        new_person(staff_number=number)

    assert exc.value.clause == "A2.4"
    assert exc.value.field == "staff_number"


@pytest.mark.clause("A2.5")
def test_maintenance_staff_without_a_contractor_are_refused(db):
    with nothing_written(Person, AuditEvent), pytest.raises(RuleViolation) as exc:
        new_person(kind=PersonKind.MAINTENANCE, staff_number=None)

    assert exc.value.clause == "A2.5"
    assert exc.value.field == "contractor"


@pytest.mark.clause("A2.5")
def test_maintenance_staff_belong_to_their_contractor_and_carry_no_staff_number(db):
    contractor = contractor_create(actor=None, name="株式会社オホーツク電算")

    person = new_person(kind=PersonKind.MAINTENANCE, contractor=contractor, staff_number="S999")

    assert person.contractor == contractor
    assert person.staff_number is None


def test_staff_number_already_registered_is_a_conflict(db):
    new_person()

    with nothing_written(Person, AuditEvent), pytest.raises(Conflict) as exc:
        new_person(family_name="別人")

    assert exc.value.field == "staff_number"


def test_person_registration_is_audited(db):
    person = new_person()

    event = AuditEvent.objects.get(action=AuditAction.PERSON_CREATED)
    assert event.target_id == str(person.pk)
    assert event.new == {"kind": "staff", "staff_number": "S000100", "name": "佐々木 桜"}


@pytest.mark.clause("A2.4")
@pytest.mark.clause("A2.5")
def test_database_refuses_staff_without_a_number_written_around_the_service(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        Person.objects.create(
            kind=PersonKind.STAFF,
            family_name="直接",
            given_name="書込",
            family_name_kana="チョクセツ",
            given_name_kana="カキコミ",
        )


# --- appointments -------------------------------------------------------------------------------


@pytest.mark.clause("A7")
@pytest.mark.parametrize(
    "employment_type",
    [EmploymentType.FY_FULL_TIME, EmploymentType.FY_PART_TIME, EmploymentType.OTHER_FIXED_TERM],
)
def test_fixed_term_appointment_without_an_end_is_refused(db, employment_type):
    person = new_person()

    with nothing_written(Appointment, AuditEvent), pytest.raises(RuleViolation) as exc:
        appointment_start(actor=None, person=person, employment_type=employment_type, valid_from=START)

    assert exc.value.clause == "A7"
    assert exc.value.field == "valid_to"


@pytest.mark.clause("A7")
def test_database_refuses_a_fixed_term_appointment_without_an_end(db):
    person = new_person()

    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.create(
            person=person, employment_type=EmploymentType.FY_PART_TIME, valid_from=START
        )


def test_overlapping_appointments_are_a_conflict(db):
    person = new_person()
    appointment_start(
        actor=None,
        person=person,
        employment_type=EmploymentType.FY_PART_TIME,
        valid_from=START,
        valid_to=D,
    )

    with nothing_written(Appointment, AuditEvent), pytest.raises(Conflict):
        appointment_start(
            actor=None,
            person=person,
            employment_type=EmploymentType.REGULAR,
            valid_from=D - dt.timedelta(days=1),
        )

    follow_on = appointment_start(
        actor=None, person=person, employment_type=EmploymentType.REGULAR, valid_from=D
    )
    assert person.appointment_on(D) == follow_on
    assert person.appointment_on(D - dt.timedelta(days=1)).employment_type == EmploymentType.FY_PART_TIME


def test_appointment_must_end_after_it_starts(db):
    person = new_person()

    with nothing_written(Appointment), pytest.raises(RuleViolation):
        appointment_start(
            actor=None,
            person=person,
            employment_type=EmploymentType.FY_FULL_TIME,
            valid_from=START,
            valid_to=START,
        )


def test_ending_an_appointment_ends_the_assignments_on_the_same_day(world):
    person = world.people["jinji_clerk"]

    appointment_end(
        actor=None,
        appointment=person.appointment_on(START),
        on=D,
        reason=AppointmentEndReason.RETIRED,
    )

    assert person.appointment_on(D) is None
    assert person.appointment_on(D - dt.timedelta(days=1)).end_reason == AppointmentEndReason.RETIRED
    ended = Assignment.objects.get(person=person)
    assert (ended.valid_to, ended.end_reason) == (D, AssignmentEndReason.APPOINTMENT_ENDED)
    assert not person.assignments_on(D).exists()


# --- assignments ------------------------------------------------------------------------------


@pytest.mark.clause("AS")
def test_assignment_to_a_unit_not_yet_in_force_is_refused(world):
    later = org("KOSEI", "厚生係", "section", world.shokuin, valid_from=D)
    person = staff(world.jinji)

    with nothing_written(Assignment, AuditEvent), pytest.raises(RuleViolation) as exc:
        assignment_start(actor=None, person=person, organization=later, post=world.clerk, valid_from=START)

    assert exc.value.clause == "AS"
    assert exc.value.field == "organization"
    assert assignment_start(actor=None, person=person, organization=later, post=world.clerk, valid_from=D)


@pytest.mark.clause("AS")
def test_assignment_to_a_unit_that_has_ended_is_refused_even_from_an_old_copy(world):
    kosei = org("KOSEI", "厚生係", "section", world.shokuin)
    organization_end(actor=None, organization=kosei, on=D)  # ``kosei`` in hand still says open-ended
    person = staff(world.jinji)

    with nothing_written(Assignment, AuditEvent), pytest.raises(RuleViolation) as exc:
        assignment_start(actor=None, person=person, organization=kosei, post=world.clerk, valid_from=D)

    assert exc.value.clause == "AS"


def test_assignment_end_keeps_the_row_and_a_second_end_is_a_conflict(world):
    assignment = world.people["kazei_clerk"].assignments_on(START).get()

    assignment_end(actor=None, assignment=assignment, on=D, reason=AssignmentEndReason.TRANSFER)

    assignment.refresh_from_db()
    assert (assignment.valid_from, assignment.valid_to, assignment.end_reason) == (
        START,
        D,
        AssignmentEndReason.TRANSFER,
    )
    with nothing_written(AuditEvent), pytest.raises(Conflict):
        assignment_end(actor=None, assignment=assignment, on=D, reason=AssignmentEndReason.TRANSFER)


def test_transfer_by_move_ends_the_old_assignment_and_starts_the_new_one_the_same_day(world):
    clerk = world.people["kazei_clerk"]

    moved = assignment_move(
        actor=None,
        assignment=clerk.assignments_on(START).get(),
        organization=world.jinji,
        on=D,
        reason=AssignmentEndReason.TRANSFER,
    )

    assert clerk.assignments_on(D - dt.timedelta(days=1)).get().organization == world.kazei
    assert clerk.assignments_on(D).get() == moved
    assert (moved.organization, moved.post, moved.valid_from) == (world.jinji, world.clerk, D)
