"""The consequence engine on a small hand-built world: each category asserted exactly, and that
confirming applies exactly what the preview showed (A3, A4, A5.3, A5.5, A7)."""

from __future__ import annotations

import datetime as dt

import pytest

from kengen.applications.models import NetworkUserRegistration
from kengen.audit.choices import AuditAction
from kengen.audit.models import AuditEvent
from kengen.core.exceptions import Conflict, PermissionDenied, RuleViolation
from kengen.grants.choices import EndReason, GrantBasis
from kengen.grants.models import Grant
from kengen.grants.services import grant_direct
from kengen.notifications.models import Notification
from kengen.people.choices import AppointmentEndReason, EmploymentType
from kengen.people.models import Person
from kengen.personnel.changes import NewPerson, PersonnelChange
from kengen.personnel.choices import ChangeKind
from kengen.personnel.selectors import consequences_of
from kengen.personnel.services import personnel_changes_apply
from kengen.personnel.tests.fixtures import GRANTED
from kengen.roles.choices import Role
from kengen.roles.selectors import scope_for
from kengen.roles.services import role_designate
from kengen.testing import START, staff, user_for

pytestmark = pytest.mark.django_db

D = dt.date(2024, 10, 1)


def transfer(world, person, unit, post=None):
    return PersonnelChange(kind=ChangeKind.MOVE, person=person, organization=unit, post=post)


def _ids(items):
    return [i.grant.pk for i in items]


@pytest.mark.clause("A5.5")
@pytest.mark.clause("A4")
def test_transfer_out_of_table2_revokes_direct_grants_and_flags_form1_grants_to_both_officers(world, grants):
    clerk = world.people["jinji_clerk"]
    c = consequences_of(transfer(world, clerk, world.kazei), on=D)
    assert _ids(c.direct_revocations) == [grants["direct"].pk]
    assert c.direct_revocations[0].clause == "A5.5" and c.direct_revocations[0].ends_on == D
    assert _ids(c.form1_flags) == [grants["form1"].pk]
    assert set(c.form1_flags[0].officer_ids) == {
        world.people["shokuin_head"].pk,
        world.people["shiminzei_head"].pk,
    }
    assert c.roles_gained == [] and c.roles_lost == []
    assert c.appointment_caps == [] and c.network_registrations == [] and c.sign_ins_to_disable == []


@pytest.mark.clause("A5.5")
def test_transfer_within_the_table2_unit_keeps_everything(world, grants):
    clerk = world.people["jinji_clerk"]
    c = consequences_of(transfer(world, clerk, world.shokuin), on=D)  # 人事係 → 職員課: same section
    assert c.is_empty


@pytest.mark.clause("A3.1")
@pytest.mark.clause("A4")
@pytest.mark.clause("A7")
def test_promotion_to_it_division_head_moves_the_roles_and_the_retiring_head_is_capped(world, grants):
    old_head, clerk = world.people["joho_head"], world.people["kazei_clerk"]
    batch = [
        PersonnelChange(kind=ChangeKind.END, person=old_head, reason=AppointmentEndReason.RETIRED),
        transfer(world, clerk, world.joho, world.head),
    ]
    c = consequences_of(batch, on=D)
    gained = {(r.person_id, r.role, r.organization_id, r.system_id) for r in c.roles_gained}
    lost = {(r.person_id, r.role, r.organization_id, r.system_id) for r in c.roles_lost}
    assert gained == {
        (clerk.pk, Role.SECURITY_OFFICER, world.joho.pk, None),
        (clerk.pk, Role.CORE_ADMIN, None, grants["core"].pk),
    }
    assert lost == {
        (old_head.pk, Role.SECURITY_OFFICER, world.joho.pk, None),
        (old_head.pk, Role.CORE_ADMIN, None, grants["core"].pk),
    }
    assert [p.person_id for p in c.sign_ins_to_disable] == [old_head.pk]
    assert c.appointment_caps == []  # the retiring head holds no grants
    assert c.direct_revocations == [] and c.form1_flags == [] and c.network_registrations == []


@pytest.mark.clause("A7")
def test_retirement_caps_every_running_grant_and_disables_the_sign_in(world, grants):
    clerk = world.people["jinji_clerk"]
    c = consequences_of(
        PersonnelChange(kind=ChangeKind.END, person=clerk, reason=AppointmentEndReason.RETIRED), on=D
    )
    assert sorted(_ids(c.appointment_caps)) == sorted([grants["direct"].pk, grants["form1"].pk])
    assert {i.clause for i in c.appointment_caps} == {"A7"}
    assert [p.user_id for p in c.sign_ins_to_disable] == [world.users["jinji_clerk"].pk]
    assert c.direct_revocations == [] and c.form1_flags == []
    assert c.roles_gained == [] and c.roles_lost == []


@pytest.mark.clause("A3")
@pytest.mark.clause("A4")
def test_a_second_head_in_a_unit_on_the_date_is_refused(world):
    with pytest.raises(Conflict) as exc:
        consequences_of(transfer(world, world.people["kazei_clerk"], world.joho, world.head), on=D)
    assert exc.value.field == "post"


@pytest.mark.clause("A5.3")
def test_fiscal_year_renewal_needs_a_registration_for_the_new_appointment(world, hr):
    fy = staff(world.kazei, employment_type=EmploymentType.FY_PART_TIME, valid_from=START)  # until 2025-04-01
    NetworkUserRegistration.objects.create(person=fy, filed_on=dt.date(2024, 3, 20), reference="R6-1")
    renewal = PersonnelChange(
        kind=ChangeKind.APPOINTMENT,
        person=fy,
        employment_type=EmploymentType.FY_PART_TIME,
        appointment_to=dt.date(2026, 4, 1),
    )
    renew_on = dt.date(2025, 4, 1)
    c = consequences_of(renewal, on=renew_on)
    assert [(p.person_id, p.clause) for p in c.network_registrations] == [(fy.pk, "A5.3")]
    assert c.network_registrations[0].officer_ids == (world.people["shiminzei_head"].pk,)
    NetworkUserRegistration.objects.create(person=fy, filed_on=dt.date(2025, 3, 15), reference="R7-1")
    assert consequences_of(renewal, on=renew_on).network_registrations == []


@pytest.mark.clause("A5.3")
@pytest.mark.clause("A2.4")
def test_new_fiscal_year_hire_needs_a_registration_and_a_new_head_gains_the_roles(world):
    fy = PersonnelChange(
        kind=ChangeKind.HIRE,
        new_person=NewPerson("N0001", "新井", "春子", "アライ", "ハルコ"),
        employment_type=EmploymentType.FY_FULL_TIME,
        appointment_to=dt.date(2025, 4, 1),
        organization=world.kazei,
        post=world.clerk,
    )
    head = PersonnelChange(
        kind=ChangeKind.HIRE,
        new_person=NewPerson("N0002", "新田", "一郎", "ニッタ", "イチロウ"),
        employment_type=EmploymentType.REGULAR,
        organization=world.kazei,
        post=world.section_head,  # 課税係 is not a security unit: head, but no officer role
    )
    c = consequences_of([fy, head], on=D)
    assert [(p.person_name, p.clause) for p in c.network_registrations] == [("新井 春子", "A5.3")]
    assert c.roles_gained == [] and c.roles_lost == []


@pytest.mark.clause("A2.4")
def test_refusals_name_the_field(world):
    taken = world.people["jinji_clerk"].staff_number
    base = dict(
        kind=ChangeKind.HIRE,
        employment_type=EmploymentType.REGULAR,
        organization=world.kazei,
        post=world.clerk,
    )
    with pytest.raises(Conflict) as exc:
        consequences_of(PersonnelChange(new_person=NewPerson(taken, "a", "b", "ア", "イ"), **base), on=D)
    assert exc.value.field == "staff_number"
    with pytest.raises(RuleViolation) as exc:
        consequences_of(
            PersonnelChange(new_person=NewPerson("X1", "a", "b", "ア", "イ"), **base), on=dt.date(2020, 4, 1)
        )
    assert (exc.value.field, exc.value.clause) == ("organization", "AS")
    with pytest.raises(RuleViolation) as exc:
        consequences_of(
            PersonnelChange(
                new_person=NewPerson("X2", "a", "b", "ア", "イ"),
                **{**base, "employment_type": EmploymentType.FY_FULL_TIME},
                appointment_to=D,
            ),
            on=D,
        )
    assert exc.value.field == "appointment_to"
    with pytest.raises(RuleViolation) as exc:
        consequences_of(
            PersonnelChange(
                kind=ChangeKind.HIRE,
                new_person=NewPerson("X3", "a", "b", "ア", "イ"),
                employment_type=EmploymentType.FY_FULL_TIME,
                organization=world.kazei,
                post=world.clerk,
            ),
            on=D,
        )
    assert (exc.value.field, exc.value.clause) == ("appointment_to", "A7")


# --- Confirming applies exactly what the preview showed --------------------------------------------


@pytest.mark.clause("A5.5")
@pytest.mark.clause("A4")
def test_confirming_a_transfer_applies_exactly_the_preview(world, grants, hr):
    clerk = world.people["jinji_clerk"]
    change = transfer(world, clerk, world.kazei)
    preview = consequences_of(change, on=D)
    applied = personnel_changes_apply(actor=hr, changes=change, on=D, expected=preview.fingerprint)
    assert [g.pk for g in applied.revoked] == _ids(preview.direct_revocations)
    direct = Grant.objects.get(pk=grants["direct"].pk)
    assert (direct.valid_to, direct.end_reason) == (D, EndReason.TRANSFER)
    form1 = Grant.objects.get(pk=grants["form1"].pk)
    assert form1.valid_to is None  # flagged, not ended
    assert Notification.objects.filter(recipient=world.people["shiminzei_head"], clause="A4").count() == 1
    assert Notification.objects.filter(recipient=world.people["shokuin_head"], clause="A4").count() == 1
    assert Notification.objects.filter(clause="A5.5", subject__contains=clerk.family_name).exists()
    assert {a.organization_id for a in clerk.assignments_on(D)} == {world.kazei.pk}
    event = AuditEvent.objects.filter(action=AuditAction.PERSONNEL_CHANGE_APPLIED).get()
    assert event.new["direct_revocations"][0]["grant"] == grants["direct"].pk
    assert event.actor_id == hr.pk


@pytest.mark.clause("A7")
def test_confirming_a_retirement_caps_grants_and_disables_the_sign_in(world, grants, hr):
    clerk = world.people["jinji_clerk"]
    change = PersonnelChange(kind=ChangeKind.END, person=clerk, reason=AppointmentEndReason.RETIRED)
    applied = personnel_changes_apply(
        actor=hr, changes=change, on=D, expected=consequences_of(change, on=D).fingerprint
    )
    assert sorted(g.pk for g in applied.capped) == sorted([grants["direct"].pk, grants["form1"].pk])
    assert set(Grant.objects.filter(account__person=clerk).values_list("valid_to", "end_reason")) == {
        (D, EndReason.APPOINTMENT_ENDED)
    }
    world.users["jinji_clerk"].refresh_from_db()
    assert world.users["jinji_clerk"].is_active is False
    assert clerk.appointment_on(D) is None and not list(clerk.assignments_on(D))


@pytest.mark.clause("A3.1")
def test_confirming_a_promotion_passes_administration_on_the_date(world, grants, hr):
    old_head, clerk = world.people["joho_head"], world.people["kazei_clerk"]
    batch = [
        PersonnelChange(kind=ChangeKind.END, person=old_head, reason=AppointmentEndReason.RETIRED),
        transfer(world, clerk, world.joho, world.head),
    ]
    personnel_changes_apply(actor=hr, changes=batch, on=D, expected=consequences_of(batch, on=D).fingerprint)
    user = world.users["kazei_clerk"]
    user.__dict__.pop("_kengen_scope_cache", None)
    assert grants["core"].pk in scope_for(user, on=D).administered_system_ids
    assert grants["core"].pk not in scope_for(user, on=D - dt.timedelta(days=1)).administered_system_ids
    assert Notification.objects.filter(recipient=clerk, clause="A3").exists()


def test_a_stale_preview_is_refused_and_nothing_is_applied(world, grants, hr):
    clerk = world.people["jinji_clerk"]
    change = transfer(world, clerk, world.kazei)
    stale = consequences_of(change, on=D).fingerprint
    Grant.objects.filter(pk=grants["direct"].pk).update(purpose_note="changed meanwhile")  # same rows
    grant_direct(
        actor=world.users["joho_head"],
        person=clerk,
        permissions=[grants["tax"].permissions.get(code="update")],
        valid_from=GRANTED,
    )
    with pytest.raises(Conflict):
        personnel_changes_apply(actor=hr, changes=change, on=D, expected=stale)
    assert {a.organization_id for a in clerk.assignments_on(D)} == {world.jinji.pk}
    assert not AuditEvent.objects.filter(action=AuditAction.PERSONNEL_CHANGE_APPLIED).exists()


@pytest.mark.clause("A14")
@pytest.mark.parametrize("who", ["configurator", "shokuin_head", "auditor", "kazei_clerk"])
def test_only_the_personnel_officer_applies_personnel_changes(world, who):
    if who in ("configurator", "auditor"):
        user = user_for(None, username=who)
        role_designate(actor=None, user=user, role=who, valid_from=START)
    else:
        user = world.users[who]
    change = transfer(world, world.people["jinji_clerk"], world.kazei)
    with pytest.raises(PermissionDenied):
        personnel_changes_apply(actor=user, changes=change, on=D)
    assert Person.objects.get(pk=world.people["jinji_clerk"].pk).assignments.count() == 1


def test_grants_fixture_holds_one_direct_and_one_form1_grant(world, grants):
    assert grants["direct"].basis == GrantBasis.DIRECT and grants["form1"].basis == GrantBasis.APPLICATION


@pytest.mark.clause("A5.3")
def test_form1_refuses_a_renewed_appointee_whose_registration_was_for_the_previous_appointment(world, hr):
    from kengen.applications.services import check_network_registration

    fy = staff(world.kazei, employment_type=EmploymentType.FY_PART_TIME, valid_from=START)
    NetworkUserRegistration.objects.create(person=fy, filed_on=START, reference="R6-1")
    check_network_registration(fy, dt.date(2024, 6, 1))  # counts for the first appointment
    renewal = PersonnelChange(
        kind=ChangeKind.APPOINTMENT,
        person=fy,
        employment_type=EmploymentType.FY_PART_TIME,
        appointment_to=dt.date(2026, 4, 1),
    )
    personnel_changes_apply(actor=hr, changes=renewal, on=dt.date(2025, 4, 1))
    with pytest.raises(RuleViolation) as exc:
        check_network_registration(fy, dt.date(2025, 5, 1))
    assert exc.value.clause == "A5.3"
    assert Notification.objects.filter(clause="A5.3", subject__contains=fy.family_name).exists()


@pytest.mark.clause("A2.4")
def test_a_new_hire_gets_a_sign_in_named_by_the_staff_number_without_a_password(world, hr):
    from kengen.users.models import User

    hire = PersonnelChange(
        kind=ChangeKind.HIRE,
        new_person=NewPerson("N0101", "新井", "春子", "アライ", "ハルコ"),
        employment_type=EmploymentType.REGULAR,
        organization=world.kazei,
        post=world.clerk,
    )
    c = consequences_of(hire, on=D)
    assert [(p.person_name, p.clause) for p in c.sign_ins_to_create] == [("新井 春子", "A2.4")]
    assert "N0101" in c.sign_ins_to_create[0].note
    applied = personnel_changes_apply(actor=hr, changes=hire, on=D, expected=c.fingerprint)
    user = User.objects.get(username="N0101")
    assert user.person == applied.people[0] and user.is_active
    assert not user.has_usable_password()
    assert AuditEvent.objects.filter(action=AuditAction.USER_CREATED, target_id=str(user.pk)).exists()


@pytest.mark.clause("A2.4")
def test_a_taken_sign_in_name_is_said_in_the_preview_and_left_alone(world, hr):
    from kengen.users.models import User

    other = user_for(None, username="N0102")
    hire = PersonnelChange(
        kind=ChangeKind.HIRE,
        new_person=NewPerson("N0102", "新井", "夏子", "アライ", "ナツコ"),
        employment_type=EmploymentType.REGULAR,
        organization=world.kazei,
        post=world.clerk,
    )
    c = consequences_of(hire, on=D)
    from django.utils.translation import gettext

    taken = gettext("the sign-in name %(name)s is taken: create their sign-in by hand") % {"name": "N0102"}
    assert c.sign_ins_to_create[0].note == taken
    applied = personnel_changes_apply(actor=hr, changes=hire, on=D, expected=c.fingerprint)
    assert list(User.objects.filter(username="N0102")) == [other]
    assert other.person is None and not User.objects.filter(person=applied.people[0]).exists()


@pytest.mark.clause("A2.4")
@pytest.mark.clause("A7")
def test_someone_appointed_again_after_a_gap_gets_their_sign_in_back(world, hr):
    clerk = world.people["kazei_clerk"]
    user = world.users["kazei_clerk"]
    end = PersonnelChange(kind=ChangeKind.END, person=clerk, reason=AppointmentEndReason.RESIGNED)
    personnel_changes_apply(actor=hr, changes=end, on=D)
    user.refresh_from_db()
    assert user.is_active is False
    back_on = dt.date(2025, 4, 1)
    again = PersonnelChange(
        kind=ChangeKind.APPOINTMENT,
        person=clerk,
        employment_type=EmploymentType.REGULAR,
        organization=world.kazei,
        post=world.clerk,
    )
    c = consequences_of(again, on=back_on)
    assert [(p.person_id, p.user_id) for p in c.sign_ins_to_enable] == [(clerk.pk, user.pk)]
    personnel_changes_apply(actor=hr, changes=again, on=back_on, expected=c.fingerprint)
    user.refresh_from_db()
    assert user.is_active is True


@pytest.mark.clause("A3")
@pytest.mark.clause("A5.3")
@pytest.mark.clause("A2.4")
def test_two_hires_of_one_name_on_one_day_each_get_their_own_notices(world, hr):
    """Notices to new hires are keyed by staff number, not by name: 山田 太郎 the new head gets the
    role notice, 山田 太郎 the fiscal-year appointee is the one the A5.3 notice is about."""
    leaving = PersonnelChange(
        kind=ChangeKind.END, person=world.people["shiminzei_head"], reason=AppointmentEndReason.RETIRED
    )
    head = PersonnelChange(
        kind=ChangeKind.HIRE,
        new_person=NewPerson("N0001", "山田", "太郎", "ヤマダ", "タロウ"),
        employment_type=EmploymentType.REGULAR,
        organization=world.shiminzei,
        post=world.head,
    )
    fy = PersonnelChange(
        kind=ChangeKind.HIRE,
        new_person=NewPerson("N0002", "山田", "太郎", "ヤマダ", "タロウ"),
        employment_type=EmploymentType.FY_FULL_TIME,
        appointment_to=dt.date(2025, 4, 1),
        organization=world.kazei,
        post=world.clerk,
    )
    preview = consequences_of([leaving, head, fy], on=D)
    assert {r.hire_staff_number for r in preview.roles_gained} == {"N0001"}
    assert [p.hire_staff_number for p in preview.network_registrations] == ["N0002"]
    assert [p.hire_staff_number for p in preview.sign_ins_to_create] == ["N0001", "N0002"]
    personnel_changes_apply(actor=hr, changes=[leaving, head, fy], on=D, expected=preview.fingerprint)
    new_head, new_fy = Person.objects.get(staff_number="N0001"), Person.objects.get(staff_number="N0002")
    roles = Notification.objects.filter(clause="A3")  # the leaving head is told too
    assert roles.filter(recipient=new_head).count() == 1 and not roles.filter(recipient=new_fy).exists()
    registrations = Notification.objects.filter(clause="A5.3")
    assert registrations and {n.target_id for n in registrations} == {str(new_fy.pk)}
