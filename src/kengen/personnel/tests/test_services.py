"""Changing the organization tree on effective dates (AS): nothing is overwritten, refusals change
nothing, and the management file follows the tree of the date it is read for."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import pytest

from kengen.audit.choices import AuditAction
from kengen.audit.models import AuditEvent
from kengen.core.exceptions import Conflict, RuleViolation
from kengen.grants.choices import GrantBasis
from kengen.grants.selectors import FileFilter, management_file
from kengen.grants.services import account_create, grant_create
from kengen.organizations.choices import OrganizationEndReason
from kengen.organizations.models import Organization
from kengen.organizations.selectors import OrgTree
from kengen.organizations.services import OrganizationSpec, organization_create
from kengen.people.choices import AssignmentEndReason, EmploymentType
from kengen.people.models import Assignment
from kengen.people.services import appointment_start, assignment_start, person_create
from kengen.personnel.services import organization_end, organization_reorganize
from kengen.roles.services import role_designate
from kengen.testing import START, org, staff, user_for

pytestmark = pytest.mark.django_db

D = dt.date(2025, 4, 1)
BEFORE_D = D - dt.timedelta(days=1)


@contextmanager
def nothing_written(*models):
    before = {m: m.objects.count() for m in models}
    yield
    assert {m: m.objects.count() for m in models} == before


def merge_jinji_into_jinji_kyuyo(world):
    """人事係 becomes 人事給与係 on D; its people move there."""
    return organization_reorganize(
        actor=None,
        on=D,
        ending=[world.jinji],
        creating=[
            OrganizationSpec(code="JINJIKYUYO", name="人事給与係", kind="section", parent=world.shokuin)
        ],
        moves={"JINJI": "JINJIKYUYO"},
    )


# --- reorganization ---------------------------------------------------------------------------


@pytest.mark.clause("AS")
def test_reorganization_ends_the_old_unit_and_starts_its_successor_on_the_date(world):
    result = merge_jinji_into_jinji_kyuyo(world)
    successor = result.created[0]

    before, after = OrgTree(BEFORE_D), OrgTree(D)

    assert world.jinji.id in before.by_id and successor.id not in before.by_id
    assert world.jinji.id not in after.by_id and successor.id in after.by_id
    assert after.full_name(successor.id) == "総務部職員課人事給与係"
    assert list(successor.predecessors.all()) == [world.jinji]
    assert list(world.jinji.successors.all()) == [successor]


@pytest.mark.clause("AS")
def test_reorganization_keeps_the_old_row_with_its_end_date_and_reason(world):
    merge_jinji_into_jinji_kyuyo(world)

    old = Organization.objects.get(pk=world.jinji.pk)
    assert (old.code, old.name, old.valid_from) == ("JINJI", "人事係", START)
    assert old.valid_to == D
    assert old.end_reason == OrganizationEndReason.REORGANIZED


@pytest.mark.clause("AS")
def test_reorganization_moves_assignments_on_the_date_keeping_the_post(world):
    clerk = world.people["jinji_clerk"]
    chief = staff(world.jinji, post_=world.section_head)

    result = merge_jinji_into_jinji_kyuyo(world)
    successor = result.created[0]

    assert result.moved_assignments == 2
    old = Assignment.objects.get(person=clerk, organization=world.jinji)
    assert old.valid_to == D and old.end_reason == AssignmentEndReason.REORGANIZED
    assert clerk.assignments_on(BEFORE_D).get().organization == world.jinji
    new = clerk.assignments_on(D).get()
    assert (new.organization, new.post, new.valid_from, new.valid_to) == (
        successor,
        world.clerk,
        D,
        None,
    )
    assert chief.assignments_on(D).get().post == world.section_head


@pytest.mark.clause("AS")
def test_reorganization_keeps_the_end_of_an_assignment_that_has_one(world):
    """A fixed-term appointee's assignment ending on a set day still ends that day after a move."""
    end = dt.date(2025, 10, 1)
    temp = person_create(
        actor=None,
        family_name="臨時",
        given_name="職員",
        family_name_kana="リンジ",
        given_name_kana="ショクイン",
        staff_number="R000001",
    )
    appointment_start(
        actor=None,
        person=temp,
        employment_type=EmploymentType.OTHER_FIXED_TERM,
        valid_from=START,
        valid_to=end,
    )
    assignment_start(
        actor=None,
        person=temp,
        organization=world.jinji,
        post=world.clerk,
        valid_from=START,
        valid_to=end,
    )

    merge_jinji_into_jinji_kyuyo(world)

    moved = temp.assignments_on(D).get()
    assert moved.organization.code == "JINJIKYUYO"
    assert (moved.valid_from, moved.valid_to) == (D, end)


@pytest.mark.clause("AS")
def test_reorganization_moves_an_assignment_that_starts_after_the_date(world):
    """Someone posted to the old unit from a later day is posted to its successor from that day."""
    later = D + dt.timedelta(days=14)
    newcomer = staff(world.kazei)
    assignment_start(
        actor=None,
        person=newcomer,
        organization=world.jinji,
        post=world.clerk,
        valid_from=later,
        is_primary=False,
    )

    result = merge_jinji_into_jinji_kyuyo(world)

    successor = result.created[0]
    assert (
        not Assignment.objects.filter(organization=world.jinji, valid_from=later)
        .exclude(valid_to=later)
        .exists()
    )  # nothing left in force in the ended unit
    moved = Assignment.objects.get(person=newcomer, organization=successor)
    assert (moved.valid_from, moved.valid_to, moved.is_primary) == (later, None, False)
    assert {a.organization for a in newcomer.assignments_on(later)} == {world.kazei, successor}
    assert result.moved_assignments == 2


@pytest.mark.clause("AS")
def test_reorganization_is_audited(world):
    actor = user_for(None, username="config")
    role_designate(actor=None, user=actor, role="configurator", valid_from=START)

    organization_reorganize(
        actor=actor,
        on=D,
        ending=[world.jinji],
        creating=[
            OrganizationSpec(code="JINJIKYUYO", name="人事給与係", kind="section", parent=world.shokuin)
        ],
        moves={"JINJI": "JINJIKYUYO"},
    )

    event = AuditEvent.objects.get(action=AuditAction.ORGANIZATION_REORGANIZED)
    assert event.actor == actor
    assert event.new == {
        "on": "2025-04-01",
        "ended": ["JINJI"],
        "created": ["JINJIKYUYO"],
        "moves": {"JINJI": "JINJIKYUYO"},
        "moved_assignments": 1,
    }
    assert AuditEvent.objects.filter(
        action=AuditAction.ORGANIZATION_ENDED, target_id=str(world.jinji.pk)
    ).exists()
    assert AuditEvent.objects.filter(action=AuditAction.ASSIGNMENT_ENDED, actor=actor).count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.ASSIGNMENT_STARTED, actor=actor).count() == 1


@pytest.mark.clause("AS")
@pytest.mark.clause("A2.6")
def test_management_file_follows_the_tree_of_the_date_it_is_read_for(world):
    core, tax = world.core()
    clerk = world.people["jinji_clerk"]
    account = account_create(actor=None, system=core, user_id="K0001", person=clerk, valid_from=START)
    grant = grant_create(
        actor=None,
        account=account,
        permission=tax.permissions.get(code="inquiry"),
        valid_from=START,
        basis=GrantBasis.APPLICATION,
    )
    auditor = user_for(None, username="auditor")
    role_designate(actor=None, user=auditor, role="auditor", valid_from=START)
    successor = merge_jinji_into_jinji_kyuyo(world).created[0]

    def file(as_of, unit):
        return [
            r.grant
            for r in management_file(user=auditor, flt=FileFilter(as_of=as_of, organization_id=unit.id))
        ]

    assert file(BEFORE_D, world.jinji) == [grant]
    assert file(D, world.jinji) == []
    assert file(BEFORE_D, successor) == []
    assert file(D, successor) == [grant]
    assert file(D, world.shokuin) == [grant]
    rows = management_file(user=auditor, flt=FileFilter(as_of=BEFORE_D, person_id=clerk.id))
    assert rows[0].organization == "総務部職員課人事係"
    rows = management_file(user=auditor, flt=FileFilter(as_of=D, person_id=clerk.id))
    assert rows[0].organization == "総務部職員課人事給与係"


@pytest.mark.clause("AS")
def test_reorganization_refuses_to_leave_people_without_a_move_and_changes_nothing(world):
    with nothing_written(Organization, Assignment, AuditEvent), pytest.raises(RuleViolation) as exc:
        organization_reorganize(
            actor=None,
            on=D,
            ending=[world.jinji],
            creating=[
                OrganizationSpec(code="JINJIKYUYO", name="人事給与係", kind="section", parent=world.shokuin)
            ],
            moves={},
        )

    assert exc.value.clause == "AS"
    assert "田中 花子" in exc.value.message
    jinji = Organization.objects.get(pk=world.jinji.pk)
    assert jinji.valid_to is None and jinji.end_reason == ""
    assert not Assignment.objects.filter(valid_to__isnull=False).exists()


@pytest.mark.clause("AS")
def test_reorganization_refuses_to_orphan_units_below_an_ending_unit_and_changes_nothing(world):
    with nothing_written(Organization, Assignment, AuditEvent), pytest.raises(RuleViolation) as exc:
        organization_reorganize(
            actor=None,
            on=D,
            ending=[world.shokuin],  # 人事係 is still under it
            creating=[
                OrganizationSpec(
                    code="JINJIKA",
                    name="人事課",
                    kind="division",
                    parent=world.somu,
                    is_security_unit=True,
                )
            ],
            moves={"SHOKUIN": "JINJIKA"},
        )

    assert exc.value.clause == "AS"
    assert "人事係" in exc.value.message
    assert Organization.objects.get(pk=world.shokuin.pk).valid_to is None


@pytest.mark.clause("AS")
def test_reorganization_may_end_a_division_with_its_sections_and_recreate_both(world):
    result = organization_reorganize(
        actor=None,
        on=D,
        ending=[world.shokuin, world.jinji],
        creating=[
            OrganizationSpec(
                code="JINJIKA",
                name="人事課",
                kind="division",
                parent=world.somu,
                is_security_unit=True,
            ),
            OrganizationSpec(code="JINJIKA-JINJI", name="人事係", kind="section", parent="JINJIKA"),
        ],
        moves={"SHOKUIN": "JINJIKA", "JINJI": "JINJIKA-JINJI"},
    )

    tree = OrgTree(D)
    assert sorted(tree.full_name(o.id) for o in result.created) == [
        "総務部人事課",
        "総務部人事課人事係",
    ]
    assert world.people["jinji_clerk"].assignments_on(D).get().organization.code == "JINJIKA-JINJI"
    assert world.people["shokuin_head"].assignments_on(D).get().organization.code == "JINJIKA"


@pytest.mark.clause("AS")
def test_a_successor_may_reuse_the_code_of_the_unit_it_replaces(world):
    result = organization_reorganize(
        actor=None,
        on=D,
        ending=[world.jinji],
        creating=[OrganizationSpec(code="JINJI", name="人事厚生係", kind="section", parent=world.shokuin)],
        moves={"JINJI": "JINJI"},
    )

    assert Organization.objects.filter(code="JINJI").count() == 2
    assert Organization.objects.as_of(D).get(code="JINJI") == result.created[0]
    assert Organization.objects.as_of(BEFORE_D).get(code="JINJI") == world.jinji


@pytest.mark.clause("AS")
def test_reorganization_refuses_a_new_code_that_clashes_with_a_unit_in_force(world):
    with nothing_written(Organization, Assignment, AuditEvent), pytest.raises(RuleViolation) as exc:
        organization_reorganize(
            actor=None,
            on=D,
            ending=[world.jinji],
            creating=[
                OrganizationSpec(code="KAZEI", name="人事給与係", kind="section", parent=world.shokuin)
            ],
            moves={"JINJI": "KAZEI"},
        )

    assert exc.value.clause == "AS"
    assert exc.value.field == "code"


def test_moves_naming_a_unit_that_is_not_ending_are_refused(world):
    with nothing_written(Organization, Assignment, AuditEvent), pytest.raises(RuleViolation):
        organization_reorganize(
            actor=None,
            on=D,
            ending=[world.jinji],
            creating=[],
            moves={"JINJI": "KAZEI", "SHOKUIN": "KAZEI"},
        )


def test_reorganizing_a_unit_that_already_ended_is_a_conflict(world):
    merge_jinji_into_jinji_kyuyo(world)

    with nothing_written(Organization, Assignment, AuditEvent), pytest.raises(Conflict):
        organization_reorganize(
            actor=None,
            on=D + dt.timedelta(days=30),
            ending=[world.jinji],
            creating=[],
            moves={},
        )


# --- create and end ---------------------------------------------------------------------------


@pytest.mark.clause("AS")
def test_organization_code_may_not_clash_with_a_unit_in_force(world):
    with nothing_written(Organization, AuditEvent), pytest.raises(RuleViolation) as exc:
        org("SHOKUIN", "職員課(重複)", "division", world.somu, valid_from=D)

    assert exc.value.clause == "AS"
    assert exc.value.field == "code"


@pytest.mark.clause("AS")
def test_organization_code_may_not_clash_with_a_unit_planned_for_later(world):
    org("KOSEI", "厚生係", "section", world.shokuin, valid_from=D)

    with pytest.raises(RuleViolation) as exc:
        org("KOSEI", "厚生係", "section", world.shokuin, valid_from=START)

    assert exc.value.clause == "AS"


@pytest.mark.clause("AS")
def test_a_code_is_free_again_after_its_unit_ended(world):
    kosei = org("KOSEI", "厚生係", "section", world.shokuin)
    organization_end(actor=None, organization=kosei, on=D)

    again = org("KOSEI", "福利厚生係", "section", world.shokuin, valid_from=D)

    assert again.valid_from == D and again.pk != kosei.pk


@pytest.mark.clause("AS")
def test_a_unit_cannot_start_under_a_parent_not_in_force(world):
    later = org("SHIMIN", "市民環境部", "department", world.city, valid_from=D)

    with nothing_written(Organization, AuditEvent), pytest.raises(RuleViolation) as exc:
        organization_create(
            actor=None,
            spec=OrganizationSpec(code="KOSEKI", name="戸籍住民課", kind="division", parent=later),
            valid_from=START,
        )

    assert exc.value.clause == "AS"
    assert exc.value.field == "parent"


@pytest.mark.clause("AS")
def test_a_unit_cannot_start_under_a_parent_that_has_ended_even_from_an_old_copy(world):
    kosei = org("KOSEI", "厚生係", "section", world.shokuin)
    organization_end(actor=None, organization=kosei, on=D)  # ``kosei`` in hand still says open-ended

    with nothing_written(Organization, AuditEvent), pytest.raises(RuleViolation) as exc:
        org("KOSEI-HAN", "厚生班", "section", kosei, valid_from=D)

    assert exc.value.clause == "AS"


def test_unknown_kind_and_empty_name_are_refused(world):
    with nothing_written(Organization, AuditEvent):
        with pytest.raises(RuleViolation) as kind:
            org("X1", "謎", "bureau", world.city)
        with pytest.raises(RuleViolation) as name:
            org("X2", "  ", "section", world.shokuin)

    assert kind.value.field == "kind"
    assert name.value.field == "name"


@pytest.mark.clause("AS")
def test_ending_a_unit_that_still_has_people_is_refused(world):
    with nothing_written(AuditEvent), pytest.raises(RuleViolation) as exc:
        organization_end(actor=None, organization=world.jinji, on=D)

    assert exc.value.clause == "AS"
    assert Organization.objects.get(pk=world.jinji.pk).valid_to is None


@pytest.mark.clause("AS")
def test_ending_an_empty_unit_keeps_it_in_the_past(world):
    kosei = org("KOSEI", "厚生係", "section", world.shokuin)

    organization_end(actor=None, organization=kosei, on=D)

    kosei.refresh_from_db()
    assert (kosei.valid_to, kosei.end_reason) == (D, OrganizationEndReason.ABOLISHED)
    assert kosei.id in OrgTree(BEFORE_D).by_id and kosei.id not in OrgTree(D).by_id
    with pytest.raises(Conflict):
        organization_end(actor=None, organization=kosei, on=D)


def test_the_database_refuses_an_end_without_a_reason(world):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Organization.objects.filter(pk=world.jinji.pk).update(valid_to=D)


@pytest.mark.clause("A3.1")
@pytest.mark.clause("AS")
def test_reorganization_leaves_no_system_without_an_administrator(world):
    """Ownership follows the owning division to its successor; the past stays as it was."""
    from kengen.roles.selectors import administrators_of

    system = world.system("JINJI-SYS", "人事給与システム", owner=world.shokuin)
    try:
        organization_reorganize(
            actor=None,
            on=D,
            ending=[world.shokuin, world.jinji],
            creating=[
                OrganizationSpec(
                    code="JINJIKA",
                    name="人事課",
                    kind="division",
                    parent=world.somu,
                    is_security_unit=True,
                ),
                OrganizationSpec(code="JINJIKA-JINJI", name="人事係", kind="section", parent="JINJIKA"),
            ],
            moves={"SHOKUIN": "JINJIKA", "JINJI": "JINJIKA-JINJI"},
        )
    except RuleViolation:
        pytest.fail("a reorganization with a successor must keep the system administered")
    assert list(administrators_of(system, D)) == [world.people["shokuin_head"]]
    assert system.owner_on(D).code == "JINJIKA"
    assert system.owner_on(D - dt.timedelta(days=1)) == world.shokuin


@pytest.mark.clause("A3.1")
def test_abolishing_the_owner_of_a_system_is_refused(world):
    world.system("JINJI-SYS", "人事給与システム", owner=world.kikaku)
    with pytest.raises(RuleViolation) as exc:
        organization_reorganize(actor=None, on=D, ending=[world.kikaku, world.joho], creating=[], moves={})
    assert exc.value.clause in {"A3.1", "AS"}
