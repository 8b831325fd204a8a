"""Roles follow posts (A3.1–A3.3, A4): who holds what on a date, with no manual step."""

from __future__ import annotations

import datetime as dt

import pytest

from kengen.audit.choices import AuditAction
from kengen.audit.models import AuditEvent
from kengen.core.access import get_visible
from kengen.core.exceptions import NotFound
from kengen.people.choices import AssignmentEndReason
from kengen.people.models import Person
from kengen.people.services import assignment_end, assignment_start
from kengen.roles.choices import Role
from kengen.roles.selectors import (
    administrators_of,
    role_holders,
    scope_for,
    security_officer_of_person,
    security_officers_for,
    security_officers_of_person,
)
from kengen.roles.services import role_designate
from kengen.systems.choices import SystemKind
from kengen.testing import START, staff, user_for
from kengen.users.models import User

pytestmark = pytest.mark.django_db

D = dt.date(2025, 4, 1)
BEFORE_D = D - dt.timedelta(days=1)


def fresh(user):
    """A new instance: ``scope_for`` caches per user object."""
    return User.objects.get(pk=user.pk)


def hand_over_the_headship(world, unit, old_key, on=D):
    """The head of ``unit`` is transferred out on ``on`` and a successor takes the post that day."""
    old = world.people[old_key]
    assignment_end(
        actor=None,
        assignment=old.assignments_on(on - dt.timedelta(days=1)).get(organization=unit),
        on=on,
        reason=AssignmentEndReason.TRANSFER,
    )
    successor = staff(unit, post_=world.head, valid_from=on, family="後任")
    return successor, user_for(successor)


# --- administrators (A3) ----------------------------------------------------------------------


@pytest.mark.clause("A3.1")
def test_head_of_the_owning_division_administers_its_individual_system(world):
    system = world.system("JINJI-SYS", "人事給与システム", owner=world.shokuin)

    head = scope_for(world.users["shokuin_head"], on=START)
    clerk = scope_for(world.users["jinji_clerk"], on=START)

    assert system.id in head.administered_system_ids
    assert any(h.role == Role.SYSTEM_ADMIN and h.system_id == system.id for h in head.holdings)
    assert not head.is_central_admin
    assert system.id not in clerk.administered_system_ids
    assert list(administrators_of(system, START)) == [world.people["shokuin_head"]]


@pytest.mark.clause("A3.1")
def test_administrator_role_moves_with_the_post_on_the_effective_date(world):
    system = world.system("JINJI-SYS", "人事給与システム", owner=world.shokuin)
    old_user = world.users["shokuin_head"]
    successor, new_user = hand_over_the_headship(world, world.shokuin, "shokuin_head")

    assert system.id in scope_for(fresh(old_user), on=BEFORE_D).administered_system_ids
    assert system.id not in scope_for(fresh(new_user), on=BEFORE_D).administered_system_ids
    assert system.id not in scope_for(fresh(old_user), on=D).administered_system_ids
    assert system.id in scope_for(fresh(new_user), on=D).administered_system_ids
    assert list(administrators_of(system, BEFORE_D)) == [world.people["shokuin_head"]]
    assert list(administrators_of(system, D)) == [successor]


@pytest.mark.clause("A4")
def test_security_officer_role_moves_with_the_post_on_the_effective_date(world):
    successor, new_user = hand_over_the_headship(world, world.shokuin, "shokuin_head")

    assert list(security_officers_for(world.jinji.id, BEFORE_D)) == [world.people["shokuin_head"]]
    assert list(security_officers_for(world.jinji.id, D)) == [successor]
    assert scope_for(fresh(world.users["shokuin_head"]), on=BEFORE_D).is_officer
    assert not scope_for(fresh(world.users["shokuin_head"]), on=D).is_officer
    assert scope_for(fresh(new_user), on=D).officer_unit_ids == {world.shokuin.id}


@pytest.mark.clause("A3.1")
@pytest.mark.clause("A4")
def test_former_head_transferred_to_another_post_no_longer_holds_the_units_roles(world):
    """The usual 人事異動: the 課長 moves on to a post elsewhere (still employed and assigned)."""
    system = world.system("JINJI-SYS", "人事給与システム", owner=world.shokuin)
    old_head = world.people["shokuin_head"]
    assignment_end(
        actor=None,
        assignment=old_head.assignments_on(BEFORE_D).get(),
        on=D,
        reason=AssignmentEndReason.TRANSFER,
    )
    assignment_start(actor=None, person=old_head, organization=world.kazei, post=world.clerk, valid_from=D)
    successor = staff(world.shokuin, post_=world.head, valid_from=D, family="後任")

    assert list(administrators_of(system, D)) == [successor]
    assert list(security_officers_for(world.jinji.id, D)) == [successor]
    assert list(administrators_of(system, BEFORE_D)) == [old_head]
    assert system.id not in scope_for(fresh(world.users["shokuin_head"]), on=D).administered_system_ids


@pytest.mark.clause("A3.1")
@pytest.mark.clause("A3.2")
@pytest.mark.clause("A3.3")
def test_central_roles_come_from_the_kinds_of_system_the_it_division_owns(world):
    core, tax = world.core()
    two_factor = world.system("2FA", "二要素認証システム", SystemKind.TWO_FACTOR, owner=world.joho)
    server = world.system("CHUKAN", "中間サーバー", SystemKind.INTERMEDIATE, owner=world.joho)

    scope = scope_for(world.users["joho_head"], on=START)

    assert scope.central_roles == {Role.CORE_ADMIN, Role.TWO_FACTOR_ADMIN, Role.INTERMEDIATE_ADMIN}
    assert scope.is_core_admin and scope.is_central_admin
    assert scope.administered_system_ids == {core.id, tax.id, two_factor.id, server.id}
    assert list(administrators_of(tax, START)) == [world.people["joho_head"]]
    assert not scope_for(world.users["shokuin_head"], on=START).is_central_admin


@pytest.mark.clause("A3.3")
def test_it_division_head_owning_only_the_intermediate_server_holds_only_that_role(world):
    world.system("CHUKAN", "中間サーバー", SystemKind.INTERMEDIATE, owner=world.joho)

    scope = scope_for(world.users["joho_head"], on=START)

    assert scope.central_roles == {Role.INTERMEDIATE_ADMIN}
    assert not scope.is_core_admin


@pytest.mark.clause("A3.1")
def test_core_admin_role_moves_with_the_it_division_headship(world):
    world.core()
    _, new_user = hand_over_the_headship(world, world.joho, "joho_head")

    assert scope_for(fresh(world.users["joho_head"]), on=BEFORE_D).is_core_admin
    assert not scope_for(fresh(world.users["joho_head"]), on=D).is_core_admin
    assert not scope_for(fresh(new_user), on=BEFORE_D).is_core_admin
    assert scope_for(fresh(new_user), on=D).is_core_admin


def test_system_not_yet_in_service_gives_no_role_before_it_starts(world):
    from kengen.systems.services import system_create

    later = system_create(
        actor=None,
        code="NEW",
        name="新システム",
        kind=SystemKind.INDIVIDUAL,
        owner=world.shokuin,
        valid_from=D,
    )

    assert later.id not in scope_for(fresh(world.users["shokuin_head"]), on=BEFORE_D).administered_system_ids
    assert later.id in scope_for(fresh(world.users["shokuin_head"]), on=D).administered_system_ids


# --- security officers (A4) --------------------------------------------------------------------


@pytest.mark.clause("A4")
def test_security_officer_of_a_division_reaches_the_sections_below_it(world):
    scope = scope_for(world.users["shokuin_head"], on=START)

    assert scope.officer_unit_ids == {world.shokuin.id}
    assert scope.officer_org_ids == {world.shokuin.id, world.jinji.id}
    assert [h.label for h in scope.holdings if h.role == Role.SECURITY_OFFICER] == ["総務部職員課"]
    assert list(security_officers_for(world.jinji.id, START)) == [world.people["shokuin_head"]]
    assert list(security_officers_for(world.kazei.id, START)) == [world.people["shiminzei_head"]]


@pytest.mark.clause("A4")
def test_section_chief_of_a_unit_without_an_officer_is_not_a_security_officer(world):
    chief = staff(world.jinji, post_=world.section_head)  # 係長: a head post, of a 係

    scope = scope_for(user_for(chief), on=START)

    assert not scope.is_officer
    assert scope.officer_org_ids == set()
    assert not scope.has_any_role
    assert list(security_officers_for(world.jinji.id, START)) == [world.people["shokuin_head"]]


@pytest.mark.clause("A4")
def test_unit_with_no_security_unit_above_it_has_no_officer(world):
    assert list(security_officers_for(world.somu.id, START)) == []


@pytest.mark.clause("A4")
def test_clerk_holds_no_role(world):
    scope = scope_for(world.users["jinji_clerk"], on=START)

    assert not scope.has_any_role and not scope.sees_everything


def test_inactive_user_holds_no_post_roles(world):
    user = fresh(world.users["shokuin_head"])
    user.is_active = False

    assert not scope_for(user, on=START).is_officer


def test_role_holders_lists_every_post_derived_role_and_its_holder(world):
    system = world.system("JINJI-SYS", "人事給与システム", owner=world.shokuin)

    rows = {(h.role, h.system_id or h.organization_id): people for h, people in role_holders(START)}

    assert rows[(Role.SYSTEM_ADMIN, system.id)] == [world.people["shokuin_head"]]
    assert rows[(Role.SECURITY_OFFICER, world.joho.id)] == [world.people["joho_head"]]
    assert (Role.SECURITY_OFFICER, world.jinji.id) not in rows


# --- what a scope reaches (A4) -------------------------------------------------------------------


@pytest.mark.clause("A4")
def test_officer_sees_their_own_units_people_and_not_another_units(world):
    visible = set(Person.objects.restrict(world.users["shokuin_head"]))

    assert visible == {world.people["shokuin_head"], world.people["jinji_clerk"]}


@pytest.mark.clause("A4")
def test_officer_asking_for_another_units_person_gets_not_found_and_the_attempt_is_logged(world):
    officer = world.users["shokuin_head"]
    outsider = world.people["kazei_clerk"]

    with pytest.raises(NotFound):
        get_visible(Person, officer, pk=outsider.pk)

    event = AuditEvent.objects.filter(action=AuditAction.ACCESS_DENIED).latest("seq")
    assert event.actor == officer and event.target_id == str(outsider.pk)
    assert outsider.family_name not in event.target_label  # the log does not leak what was hidden
    assert get_visible(Person, officer, pk=world.people["jinji_clerk"].pk) == world.people["jinji_clerk"]


@pytest.mark.clause("A4")
def test_officer_cannot_change_another_units_person(world):
    officer = world.users["shokuin_head"]

    changeable = set(Person.objects.restrict(officer, "change"))

    assert world.people["jinji_clerk"] in changeable
    assert world.people["kazei_clerk"] not in changeable


def test_clerk_sees_only_themselves(world):
    assert list(Person.objects.restrict(world.users["jinji_clerk"])) == [world.people["jinji_clerk"]]


def test_auditor_sees_everyone_but_changes_nothing(world):
    auditor = user_for(None, username="auditor")
    role_designate(actor=None, user=auditor, role="auditor", valid_from=START)

    assert set(Person.objects.restrict(auditor)) == set(world.people.values())
    assert not Person.objects.restrict(auditor, "change").exists()
    assert scope_for(auditor).sees_everything


def test_designated_role_ends_on_its_end_date(world):
    auditor = user_for(None, username="auditor")
    role_designate(actor=None, user=auditor, role="auditor", valid_from=START, valid_to=D)

    assert scope_for(fresh(auditor), on=BEFORE_D).is_auditor
    assert not scope_for(fresh(auditor), on=D).is_auditor


def test_core_admin_sees_every_person(world):
    world.core()

    assert set(Person.objects.restrict(world.users["joho_head"])) == set(world.people.values())


@pytest.mark.clause("A4")
def test_officer_looking_at_a_past_date_also_sees_who_was_in_their_units_then(world):
    clerk = world.people["kazei_clerk"]
    assignment_end(
        actor=None,
        assignment=clerk.assignments_on(START).get(),
        on=D,
        reason=AssignmentEndReason.TRANSFER,
    )
    assignment_start(actor=None, person=clerk, organization=world.jinji, post=world.clerk, valid_from=D)
    old_officer = world.users["shiminzei_head"]

    assert clerk not in Person.objects.restrict(old_officer)  # not theirs today
    assert clerk in Person.objects.restrict(old_officer, on=BEFORE_D)  # theirs on that date


@pytest.mark.clause("A4")
@pytest.mark.clause("AS")
def test_officer_of_a_successor_unit_reaches_the_predecessor_units_past_members(world):
    """After 職員課 becomes 人事課, its officer still reads who was in 職員課 on a past date."""
    import datetime as dt

    from kengen.organizations.services import OrganizationSpec
    from kengen.people.models import Person
    from kengen.people.services import assignment_end
    from kengen.personnel.services import organization_reorganize

    on = dt.date(2025, 4, 1)
    left = world.people["jinji_clerk"]
    assignment_end(actor=None, assignment=left.assignments.get(), on=dt.date(2025, 1, 1), reason="transfer")
    organization_reorganize(
        actor=None,
        on=on,
        ending=[world.shokuin, world.jinji],
        creating=[
            OrganizationSpec(
                code="JINJIKA", name="人事課", kind="division", parent=world.somu, is_security_unit=True
            ),
            OrganizationSpec(code="JINJIKA-1", name="人事係", kind="section", parent="JINJIKA"),
        ],
        moves={"SHOKUIN": "JINJIKA", "JINJI": "JINJIKA-1"},
    )
    officer = world.users["shokuin_head"]
    officer.__dict__.pop("_kengen_scope_cache", None)
    scope = scope_for(officer, on=on)
    assert world.shokuin.id in scope.officer_org_ids and world.jinji.id in scope.officer_org_ids
    visible = Person.objects.restrict(officer, on=dt.date(2024, 10, 1))
    assert left in visible
    assert world.people["kazei_clerk"] not in visible


@pytest.mark.clause("A4")
def test_officers_of_a_person_cover_every_unit_they_are_assigned_to_primary_first_each_once(world):
    clerk = world.people["kazei_clerk"]  # 課税係 under 市民税課
    assignment_start(
        actor=None, person=clerk, organization=world.jinji, post=world.clerk, valid_from=D, is_primary=False
    )
    assignment_start(
        actor=None, person=clerk, organization=world.shokuin, post=world.clerk, valid_from=D, is_primary=False
    )

    assert security_officers_of_person(clerk, BEFORE_D) == [world.people["shiminzei_head"]]
    assert security_officers_of_person(clerk, D) == [
        world.people["shiminzei_head"],
        world.people["shokuin_head"],
    ]
    assert security_officer_of_person(clerk, D) == world.people["shiminzei_head"]


@pytest.mark.clause("A4")
def test_the_officer_acting_for_a_head_is_another_officer_of_the_unit_when_there_is_one(world):
    head = world.people["shokuin_head"]
    assert security_officer_of_person(head, D) == head  # the only one: the head themself
    second = staff(world.shokuin, post_=world.head, valid_from=D, family="副")

    assert security_officer_of_person(head, D) == second
    assert set(security_officers_of_person(head, D)) == {head, second}
    assert security_officer_of_person(world.people["jinji_clerk"], START - dt.timedelta(days=1)) is None
