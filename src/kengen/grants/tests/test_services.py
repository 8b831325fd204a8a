"""Writing the management file: the rules grant_create and grant_end enforce (A3.1, A5.5, A5.9, A7,
A10), refusals leave nothing behind, and ending never deletes."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import pytest
from django.db import IntegrityError, transaction

from kengen.audit.choices import AuditAction
from kengen.audit.models import AuditEvent
from kengen.contractors.services import contractor_create
from kengen.core.exceptions import Conflict, PermissionDenied, RuleViolation
from kengen.eligibility.choices import EntryScope
from kengen.eligibility.services import eligibility_entry_create
from kengen.grants.choices import AccountKind, EndReason, GrantBasis, Purpose
from kengen.grants.models import Account, Grant
from kengen.grants.services import account_create, grant_create, grant_end
from kengen.people.choices import (
    AppointmentEndReason,
    AssignmentEndReason,
    EmploymentType,
    PersonKind,
)
from kengen.people.services import appointment_end, assignment_end, assignment_start, person_create
from kengen.roles.services import role_designate
from kengen.systems.choices import SystemKind
from kengen.testing import START, maintenance_contract, staff, user_for

pytestmark = pytest.mark.django_db

APPOINTMENT_END = dt.date(2025, 4, 1)  # exclusive: the appointment's last day is 2025-03-31
D = dt.date(2024, 10, 1)


@contextmanager
def nothing_written(*models):
    before = {m: m.objects.count() for m in models}
    yield
    assert {m: m.objects.count() for m in models} == before


@pytest.fixture
def system(world):
    """An individual system owned by 職員課: its administrator is the head of 職員課 (A3.1)."""
    return world.system("JINJI-SYS", "人事給与システム")


@pytest.fixture
def admin(world):
    return world.users["shokuin_head"]


def account_for(person, system, *, actor=None, kind=AccountKind.PERSONAL, valid_from=START, **kwargs):
    return account_create(
        actor=actor,
        system=system,
        user_id=f"U{person.pk:05d}",
        person=person,
        kind=kind,
        valid_from=valid_from,
        **kwargs,
    )


def grant(account, permission, *, actor=None, basis=GrantBasis.APPLICATION, valid_from=START, **kwargs):
    return grant_create(
        actor=actor,
        account=account,
        permission=permission,
        valid_from=valid_from,
        basis=basis,
        **kwargs,
    )


def inquiry(system):
    return system.permissions.get(code="inquiry")


# --- A7: validity capped at the end of the appointment ----------------------------------------

FIXED_TERM = [
    EmploymentType.FY_FULL_TIME,
    EmploymentType.FY_PART_TIME,
    EmploymentType.OTHER_FIXED_TERM,
]


@pytest.mark.clause("A7")
@pytest.mark.parametrize("employment_type", FIXED_TERM)
@pytest.mark.parametrize(
    "valid_to", [None, APPOINTMENT_END + dt.timedelta(days=1)], ids=["open", "one-day-over"]
)
def test_grant_outlasting_a_fixed_term_appointment_is_refused(
    world, system, admin, employment_type, valid_to
):
    person = staff(world.jinji, employment_type=employment_type, appointment_to=APPOINTMENT_END)
    account = account_for(person, system, actor=admin)

    with nothing_written(Grant, AuditEvent), pytest.raises(RuleViolation) as exc:
        grant(account, inquiry(system), actor=admin, valid_to=valid_to)

    assert exc.value.clause == "A7"
    assert exc.value.field == "valid_to"
    assert "令和7年3月31日" in exc.value.message  # the appointment's last day, in the Japanese era


@pytest.mark.clause("A7")
@pytest.mark.parametrize("employment_type", FIXED_TERM)
def test_grant_ending_exactly_with_a_fixed_term_appointment_is_accepted(
    world, system, admin, employment_type
):
    person = staff(world.jinji, employment_type=employment_type, appointment_to=APPOINTMENT_END)
    account = account_for(person, system, actor=admin)

    created = grant(account, inquiry(system), actor=admin, valid_to=APPOINTMENT_END)

    assert created.valid_to == APPOINTMENT_END
    assert created.last_day == dt.date(2025, 3, 31)


@pytest.mark.clause("A7")
def test_regular_staff_may_hold_an_open_ended_grant(world, system, admin):
    account = account_for(world.people["jinji_clerk"], system, actor=admin)

    created = grant(account, inquiry(system), actor=admin)

    assert created.valid_to is None
    assert created.is_active_on(dt.date(2030, 1, 1))


@pytest.mark.clause("A7")
def test_grant_for_a_person_without_an_appointment_is_refused(world, system, admin):
    person = person_create(
        actor=None,
        family_name="未任用",
        given_name="花子",
        family_name_kana="ミニンヨウ",
        given_name_kana="ハナコ",
        staff_number="N000009",
    )
    assignment_start(actor=None, person=person, organization=world.jinji, post=world.clerk, valid_from=START)
    account = account_for(person, system, actor=admin)

    with nothing_written(Grant, AuditEvent), pytest.raises(RuleViolation) as exc:
        grant(account, inquiry(system), actor=admin)

    assert exc.value.clause == "A7"
    assert exc.value.field == "valid_from"
    assert "令和6年4月1日" in exc.value.message


@pytest.mark.clause("A7")
def test_retirement_date_caps_grants_of_regular_staff_and_nothing_starts_after_it(world, system, admin):
    person = world.people["jinji_clerk"]
    appointment_end(
        actor=None,
        appointment=person.appointment_on(START),
        on=APPOINTMENT_END,
        reason=AppointmentEndReason.RETIRED,
    )
    account = account_for(person, system, actor=admin)

    with pytest.raises(RuleViolation) as open_ended:
        grant(account, inquiry(system), actor=admin)
    with pytest.raises(RuleViolation) as after_retirement:
        grant(
            account,
            inquiry(system),
            actor=admin,
            valid_from=APPOINTMENT_END,
            valid_to=APPOINTMENT_END + dt.timedelta(days=30),
        )

    assert open_ended.value.clause == after_retirement.value.clause == "A7"
    assert grant(account, inquiry(system), actor=admin, valid_to=APPOINTMENT_END).valid_to == APPOINTMENT_END


# --- A10: purpose of use ----------------------------------------------------------------------


@pytest.mark.clause("A10")
@pytest.mark.parametrize("purpose", [Purpose.DUTIES, Purpose.TRAINING])
def test_duties_and_training_need_no_approval(world, system, admin, purpose):
    account = account_for(world.people["jinji_clerk"], system, actor=admin)

    assert grant(account, inquiry(system), actor=admin, purpose=purpose).purpose == purpose


@pytest.mark.clause("A10")
def test_other_purpose_without_approval_is_refused(world, system, admin):
    account = account_for(world.people["jinji_clerk"], system, actor=admin)

    with nothing_written(Grant, AuditEvent), pytest.raises(RuleViolation) as exc:
        grant(
            account,
            inquiry(system),
            actor=admin,
            purpose=Purpose.OTHER,
            purpose_note="庁内研修資料の作成",
        )

    assert exc.value.clause == "A10"


@pytest.mark.clause("A10")
def test_other_purpose_approved_by_someone_who_is_not_the_persons_officer_is_refused(world, system, admin):
    account = account_for(world.people["jinji_clerk"], system, actor=admin)

    with nothing_written(Grant, AuditEvent), pytest.raises(RuleViolation) as exc:
        grant(
            account,
            inquiry(system),
            actor=admin,
            purpose=Purpose.OTHER,
            purpose_note="統計資料の作成",
            purpose_approved_by=world.people["shiminzei_head"],  # an officer, but of another division
            purpose_approved_on=START,
        )

    assert exc.value.clause == "A10"
    assert exc.value.field == "purpose_approved_by"


@pytest.mark.clause("A10")
def test_other_purpose_approved_by_the_persons_security_officer_is_accepted_and_recorded(
    world, system, admin
):
    officer = world.people["shokuin_head"]  # head of 職員課, officer for 人事係 below it
    account = account_for(world.people["jinji_clerk"], system, actor=admin)

    created = grant(
        account,
        inquiry(system),
        actor=admin,
        purpose=Purpose.OTHER,
        purpose_note="統計資料の作成",
        purpose_approved_by=officer,
        purpose_approved_on=START,
    )

    assert created.purpose_approved_by == officer
    assert created.purpose_approved_on == START
    event = AuditEvent.objects.get(action=AuditAction.GRANT_CREATED, target_id=str(created.pk))
    assert event.new["purpose"] == Purpose.OTHER and event.new["purpose_approved_by"] == officer.pk


@pytest.mark.clause("A10")
def test_approval_counts_only_from_whoever_was_officer_on_the_approval_date(world, system, admin):
    old_head = world.people["shokuin_head"]
    assignment_end(
        actor=None,
        assignment=old_head.assignments_on(START).get(),
        on=D,
        reason=AssignmentEndReason.TRANSFER,
    )
    assignment_start(actor=None, person=old_head, organization=world.kazei, post=world.clerk, valid_from=D)
    new_head = staff(world.shokuin, post_=world.head, valid_from=D)
    account = account_for(world.people["jinji_clerk"], system)
    other = {"purpose": Purpose.OTHER, "purpose_note": "統計資料の作成"}

    with pytest.raises(RuleViolation) as exc:
        grant(account, inquiry(system), purpose_approved_by=old_head, purpose_approved_on=D, **other)
    assert exc.value.clause == "A10"

    created = grant(account, inquiry(system), purpose_approved_by=new_head, purpose_approved_on=D, **other)
    assert created.purpose_approved_by == new_head


@pytest.mark.clause("A10")
def test_database_refuses_an_unapproved_other_purpose_written_around_the_service(world, system):
    account = account_for(world.people["jinji_clerk"], system)

    with pytest.raises(IntegrityError), transaction.atomic():
        Grant.objects.create(  # simulating a write that bypasses grant_create
            account=account,
            permission=inquiry(system),
            valid_from=START,
            purpose=Purpose.OTHER,
            basis=GrantBasis.APPLICATION,
        )
    assert not Grant.objects.exists()


# --- A5.9: maintenance staff --------------------------------------------------------------------


@pytest.fixture
def maintenance_person(world, system):
    """A contractor's engineer on an active contract covering ``system`` (A5.9)."""
    world.core()  # the IT division head answers the consultation (A12.2)
    contractor = contractor_create(actor=None, name="株式会社北見システム保守")
    person = person_create(
        actor=None,
        kind=PersonKind.MAINTENANCE,
        contractor=contractor,
        family_name="保守",
        given_name="一郎",
        family_name_kana="ホシュ",
        given_name_kana="イチロウ",
    )
    maintenance_contract(
        person,
        [system],
        organization=world.shokuin,
        officer=world.users["shokuin_head"],
        it_head=world.users["joho_head"],
    )
    return person


@pytest.mark.clause("A5.9")
def test_maintenance_grant_without_an_end_is_refused(world, system, admin, maintenance_person):
    account = account_for(maintenance_person, system, actor=admin, kind=AccountKind.MAINTENANCE, valid_to=D)

    with nothing_written(Grant, AuditEvent), pytest.raises(RuleViolation) as exc:
        grant(account, inquiry(system), actor=admin, basis=GrantBasis.MAINTENANCE)

    assert exc.value.clause == "A5.9"


@pytest.mark.clause("A5.9")
def test_maintenance_grant_with_an_end_is_accepted(world, system, admin, maintenance_person):
    account = account_for(maintenance_person, system, actor=admin, kind=AccountKind.MAINTENANCE, valid_to=D)

    created = grant(account, inquiry(system), actor=admin, basis=GrantBasis.MAINTENANCE, valid_to=D)

    assert created.valid_to == D


@pytest.mark.clause("A2.5")
def test_maintenance_staff_cannot_hold_a_personal_user_id_nor_staff_a_maintenance_one(
    world, system, admin, maintenance_person
):
    with nothing_written(Account, AuditEvent), pytest.raises(RuleViolation) as personal:
        account_for(maintenance_person, system, actor=admin, kind=AccountKind.PERSONAL)
    with nothing_written(Account, AuditEvent), pytest.raises(RuleViolation) as maintenance:
        account_for(world.people["jinji_clerk"], system, actor=admin, kind=AccountKind.MAINTENANCE)

    assert personal.value.clause == maintenance.value.clause == "A2.5"


# --- what can be granted, and when ----------------------------------------------------------


@pytest.mark.clause("A2.6")
def test_permission_of_another_system_is_refused(world, system, admin):
    other = world.system("KYUYO-SYS", "給与明細システム")
    account = account_for(world.people["jinji_clerk"], system, actor=admin)

    with nothing_written(Grant, AuditEvent), pytest.raises(RuleViolation) as exc:
        grant(account, inquiry(other), actor=admin)

    assert exc.value.clause == "A2.6"
    assert exc.value.field == "permission"


@pytest.mark.clause("A2.1")
def test_business_system_permissions_are_granted_on_the_core_packages_user_id(world):
    core, tax = world.core()
    core_admin = world.users["joho_head"]

    with nothing_written(Account), pytest.raises(RuleViolation) as exc:
        account_for(world.people["kazei_clerk"], tax, actor=core_admin)
    assert exc.value.clause == "A2.1"

    account = account_for(world.people["kazei_clerk"], core, actor=core_admin)
    created = grant(account, inquiry(tax), actor=core_admin)
    assert created.account.system == core and created.permission.system == tax


@pytest.mark.clause("A2.6")
def test_grant_cannot_outlast_the_user_id_that_holds_it(world, system, admin):
    account = account_for(world.people["jinji_clerk"], system, actor=admin, valid_to=D)

    with nothing_written(Grant), pytest.raises(RuleViolation) as exc:
        grant(account, inquiry(system), actor=admin)

    assert exc.value.clause == "A2.6"
    assert grant(account, inquiry(system), actor=admin, valid_to=D).valid_to == D


def test_overlapping_duplicate_grant_is_a_conflict(world, system, admin):
    account = account_for(world.people["jinji_clerk"], system, actor=admin)
    grant(account, inquiry(system), actor=admin, valid_to=D)

    with nothing_written(Grant, AuditEvent), pytest.raises(Conflict):
        grant(account, inquiry(system), actor=admin, valid_from=D - dt.timedelta(days=1))

    assert grant(account, inquiry(system), actor=admin, valid_from=D).valid_from == D  # adjacent is fine
    assert grant(account, system.permissions.get(code="update"), actor=admin).permission.code == "update"


def test_user_id_already_in_use_on_the_system_is_a_conflict(world, system, admin):
    account_create(
        actor=admin,
        system=system,
        user_id="K0001",
        person=world.people["jinji_clerk"],
        valid_from=START,
    )

    with nothing_written(Account, AuditEvent), pytest.raises(Conflict):
        account_create(
            actor=admin,
            system=system,
            user_id="K0001",
            person=world.people["kazei_clerk"],
            valid_from=D,
        )


# --- A3.1: only the system's administrator writes its entries ---------------------------------


@pytest.mark.clause("A3.1")
@pytest.mark.parametrize("who", ["shiminzei_head", "jinji_clerk", "joho_head"])
def test_user_who_does_not_administer_the_system_is_denied(world, system, admin, who):
    account = account_for(world.people["jinji_clerk"], system, actor=admin)
    outsider = world.users[who]

    with nothing_written(Grant, Account, AuditEvent):
        with pytest.raises(PermissionDenied) as on_grant:
            grant(account, inquiry(system), actor=outsider)
        with pytest.raises(PermissionDenied) as on_account:
            account_for(world.people["kazei_clerk"], system, actor=outsider)

    assert on_grant.value.clause == on_account.value.clause == "A3.1"


@pytest.mark.clause("A3.1")
def test_head_of_the_owning_division_administers_the_system(world, system, admin):
    account = account_for(world.people["jinji_clerk"], system, actor=admin)

    created = grant(account, inquiry(system), actor=admin)

    assert created.created_by == admin
    event = AuditEvent.objects.get(action=AuditAction.GRANT_CREATED, target_id=str(created.pk))
    assert event.actor == admin


@pytest.mark.clause("A3.1")
def test_core_package_is_administered_by_the_it_division_head_only(world):
    core, tax = world.core()
    account = account_for(world.people["kazei_clerk"], core, actor=world.users["joho_head"])

    with pytest.raises(PermissionDenied) as exc:
        grant(account, inquiry(tax), actor=world.users["shokuin_head"])
    assert exc.value.clause == "A3.1"

    assert grant(account, inquiry(tax), actor=world.users["joho_head"]).permission.system == tax


@pytest.mark.clause("A3.1")
def test_configurator_may_load_the_existing_file_but_not_grant_on_an_application(world, system):
    configurator = user_for(None, username="config")
    role_designate(actor=None, user=configurator, role="configurator", valid_from=START)
    account = account_for(
        world.people["jinji_clerk"], system, actor=configurator, basis=GrantBasis.INITIAL_LOAD
    )

    with pytest.raises(PermissionDenied):
        grant(account, inquiry(system), actor=configurator, basis=GrantBasis.APPLICATION)

    assert (
        grant(account, inquiry(system), actor=configurator, basis=GrantBasis.INITIAL_LOAD).basis
        == "initial_load"
    )


# --- A5.5: direct grants by the core / intermediate-server administrator ----------------------


@pytest.fixture
def core(world):
    core, tax = world.core()
    eligibility_entry_create(actor=None, organization=world.shiminzei, valid_from=START)
    return core, tax


@pytest.mark.clause("A5.5")
def test_direct_grant_to_staff_of_a_table_2_organization_is_accepted(world, core):
    core_sys, tax = core
    core_admin = world.users["joho_head"]
    account = account_for(world.people["kazei_clerk"], core_sys, actor=core_admin)

    created = grant(account, inquiry(tax), actor=core_admin, basis=GrantBasis.DIRECT)

    assert created.basis == GrantBasis.DIRECT


@pytest.mark.clause("A5.5")
def test_direct_grant_to_staff_outside_table_2_is_refused(world, core):
    core_sys, tax = core
    core_admin = world.users["joho_head"]
    account = account_for(world.people["jinji_clerk"], core_sys, actor=core_admin)  # 職員課 not listed

    with nothing_written(Grant, AuditEvent), pytest.raises(RuleViolation) as exc:
        grant(account, inquiry(tax), actor=core_admin, basis=GrantBasis.DIRECT)

    assert exc.value.clause == "A5.5"
    assert grant(account, inquiry(tax), actor=core_admin, basis=GrantBasis.APPLICATION)  # Form 1 still works


@pytest.mark.clause("A5.5")
@pytest.mark.parametrize("employment_type", [EmploymentType.FY_FULL_TIME, EmploymentType.FY_PART_TIME])
def test_direct_grant_to_a_fiscal_year_appointee_is_refused_even_in_a_listed_unit(
    world, core, employment_type
):
    core_sys, tax = core
    core_admin = world.users["joho_head"]
    appointee = staff(world.kazei, employment_type=employment_type, appointment_to=APPOINTMENT_END)
    account = account_for(appointee, core_sys, actor=core_admin)

    with nothing_written(Grant, AuditEvent), pytest.raises(RuleViolation) as exc:
        grant(
            account,
            inquiry(tax),
            actor=core_admin,
            basis=GrantBasis.DIRECT,
            valid_to=APPOINTMENT_END,
        )

    assert exc.value.clause == "A5.5"


@pytest.mark.clause("A5.5")
def test_direct_grant_on_an_individual_system_is_refused(world, core, system, admin):
    account = account_for(world.people["kazei_clerk"], system, actor=admin)

    with nothing_written(Grant, AuditEvent), pytest.raises(RuleViolation) as exc:
        grant(account, inquiry(system), actor=admin, basis=GrantBasis.DIRECT)

    assert exc.value.clause == "A5.5"


@pytest.mark.clause("A5.5")
def test_direct_grant_on_the_intermediate_server_follows_table_2(world, core):
    server = world.system("CHUKAN", "中間サーバー", SystemKind.INTERMEDIATE, owner=world.joho)
    core_admin = world.users["joho_head"]
    eligible = account_for(world.people["kazei_clerk"], server, actor=core_admin)
    not_listed = account_for(world.people["jinji_clerk"], server, actor=core_admin)

    assert grant(eligible, inquiry(server), actor=core_admin, basis=GrantBasis.DIRECT)
    with pytest.raises(RuleViolation):
        grant(not_listed, inquiry(server), actor=core_admin, basis=GrantBasis.DIRECT)


@pytest.mark.clause("A5.5")
def test_direct_grant_follows_the_qualifier_of_the_entry(world):
    core_sys, tax = world.core()
    eligibility_entry_create(
        actor=None,
        organization=world.shokuin,
        scope=EntryScope.ONLY,
        units=[world.jinji],
        valid_from=START,
    )
    core_admin = world.users["joho_head"]
    in_jinji = account_for(world.people["jinji_clerk"], core_sys, actor=core_admin)
    at_division = account_for(world.people["shokuin_head"], core_sys, actor=core_admin)

    assert grant(in_jinji, inquiry(tax), actor=core_admin, basis=GrantBasis.DIRECT)
    with pytest.raises(RuleViolation) as exc:
        grant(at_division, inquiry(tax), actor=core_admin, basis=GrantBasis.DIRECT)
    assert exc.value.clause == "A5.5"


# --- ending: never deleted ---------------------------------------------------------------------


def test_grant_end_sets_the_end_and_keeps_the_row(world, system, admin):
    account = account_for(world.people["jinji_clerk"], system, actor=admin)
    created = grant(account, inquiry(system), actor=admin)

    ended = grant_end(actor=admin, grant=created, on=D, reason=EndReason.TRANSFER, note="市民税課へ異動")

    ended.refresh_from_db()
    assert ended.valid_from == START and ended.valid_to == D
    assert ended.end_reason == EndReason.TRANSFER and ended.end_note == "市民税課へ異動"
    assert ended.ended_at is not None and ended.ended_by == admin
    assert Grant.objects.filter(pk=created.pk).exists()
    assert ended.is_active_on(D - dt.timedelta(days=1)) and not ended.is_active_on(D)
    event = AuditEvent.objects.get(action=AuditAction.GRANT_ENDED, target_id=str(created.pk))
    assert event.old["valid_to"] is None and event.new["valid_to"] == D.isoformat()
    assert event.new["end_reason"] == EndReason.TRANSFER


def test_ending_a_grant_twice_is_a_conflict(world, system, admin):
    account = account_for(world.people["jinji_clerk"], system, actor=admin)
    created = grant(account, inquiry(system), actor=admin)
    grant_end(actor=admin, grant=created, on=D, reason=EndReason.CANCELLED)

    with nothing_written(AuditEvent), pytest.raises(Conflict):
        grant_end(actor=admin, grant=created, on=D + dt.timedelta(days=10), reason=EndReason.CANCELLED)

    created.refresh_from_db()
    assert created.valid_to == D and created.end_reason == EndReason.CANCELLED


def test_ending_on_or_after_the_scheduled_end_is_a_conflict(world, system, admin):
    account = account_for(world.people["jinji_clerk"], system, actor=admin)
    created = grant(account, inquiry(system), actor=admin, valid_to=D)

    with pytest.raises(Conflict):
        grant_end(actor=admin, grant=created, on=D, reason=EndReason.CANCELLED)

    shortened = grant_end(
        actor=admin, grant=created, on=D - dt.timedelta(days=30), reason=EndReason.CANCELLED
    )
    assert shortened.valid_to == D - dt.timedelta(days=30)


@pytest.mark.clause("A3.1")
def test_grant_end_by_someone_who_does_not_administer_the_system_is_denied(world, system, admin):
    account = account_for(world.people["jinji_clerk"], system, actor=admin)
    created = grant(account, inquiry(system), actor=admin)

    with nothing_written(AuditEvent), pytest.raises(PermissionDenied) as exc:
        grant_end(actor=world.users["shiminzei_head"], grant=created, on=D, reason=EndReason.CANCELLED)

    assert exc.value.clause == "A3.1"
    created.refresh_from_db()
    assert created.valid_to is None and created.ended_at is None


def test_a_grant_cancelled_before_it_starts_never_takes_effect(world, system, admin):
    account = account_for(world.people["jinji_clerk"], system, actor=admin)
    future = grant(account, inquiry(system), actor=admin, valid_from=D)

    ended = grant_end(actor=admin, grant=future, on=START, reason=EndReason.CANCELLED)

    assert ended.valid_from == ended.valid_to == D
    assert not Grant.objects.as_of(D).filter(pk=future.pk).exists()
