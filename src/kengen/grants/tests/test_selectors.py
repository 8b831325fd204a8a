"""The management file as of a date (A2.6), narrowed by system, unit and person, and restricted to
what the reader may see (A3.1, A4)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from kengen.grants.choices import GrantBasis
from kengen.grants.models import Grant
from kengen.grants.selectors import FileFilter, grants_as_of, management_file, management_file_table
from kengen.grants.services import account_create, grant_create
from kengen.people.choices import AssignmentEndReason
from kengen.people.services import assignment_end, assignment_start
from kengen.roles.services import role_designate
from kengen.systems.choices import SystemKind
from kengen.systems.models import System
from kengen.testing import START, World, user_for

pytestmark = pytest.mark.django_db

ON = dt.date(2024, 7, 1)
WINDOW = (dt.date(2024, 6, 1), dt.date(2024, 9, 1))  # [from, to)


@dataclass
class File:
    world: World
    core: System
    tax: System
    juki: System
    jinji_sys: System
    grants: dict[str, Grant]
    auditor: object


def _grant(account, system, code, valid_from=START, valid_to=None):
    return grant_create(
        actor=None,
        account=account,
        permission=system.permissions.get(code=code),
        valid_from=valid_from,
        valid_to=valid_to,
        basis=GrantBasis.APPLICATION,
    )


@pytest.fixture
def file(world) -> File:
    core, tax = world.core()
    juki = world.system("CK-JUKI", "住民基本台帳", SystemKind.CORE_BUSINESS, owner=world.joho, parent=core)
    jinji_sys = world.system("JINJI-SYS", "人事給与システム")  # owned by 職員課
    p = world.people
    accounts = {
        (key, s.code): account_create(
            actor=None, system=s, user_id=f"{s.code}-{key}", person=p[key], valid_from=START
        )
        for key in ("jinji_clerk", "shokuin_head", "kazei_clerk", "shiminzei_head")
        for s in (core, jinji_sys)
    }
    g = {
        "jinji_tax": _grant(accounts["jinji_clerk", "COKAS"], tax, "inquiry"),
        "jinji_sys": _grant(accounts["jinji_clerk", "JINJI-SYS"], jinji_sys, "inquiry"),
        "shokuin_head_sys": _grant(accounts["shokuin_head", "JINJI-SYS"], jinji_sys, "update"),
        "kazei_tax": _grant(accounts["kazei_clerk", "COKAS"], tax, "update"),
        "kazei_juki": _grant(accounts["kazei_clerk", "COKAS"], juki, "inquiry"),
        "kazei_sys": _grant(accounts["kazei_clerk", "JINJI-SYS"], jinji_sys, "inquiry"),
        "shiminzei_head_window": _grant(accounts["shiminzei_head", "COKAS"], tax, "admin", *WINDOW),
    }
    auditor = user_for(None, username="auditor")
    role_designate(actor=None, user=auditor, role="auditor", valid_from=START)
    return File(world, core, tax, juki, jinji_sys, g, auditor)


def keys(file: File, grants) -> set[str]:
    by_id = {g.pk: k for k, g in file.grants.items()}
    return {by_id[g.pk] for g in grants}


ALL = {
    "jinji_tax",
    "jinji_sys",
    "shokuin_head_sys",
    "kazei_tax",
    "kazei_juki",
    "kazei_sys",
    "shiminzei_head_window",
}


# --- as of a date -----------------------------------------------------------------------------


@pytest.mark.clause("A2.6")
@pytest.mark.parametrize(
    ("date", "present"),
    [
        (WINDOW[0] - dt.timedelta(days=1), False),
        (WINDOW[0], True),  # valid_from is inclusive
        (WINDOW[1] - dt.timedelta(days=1), True),
        (WINDOW[1], False),  # valid_to is exclusive
    ],
)
def test_grant_appears_only_within_its_validity_window(file, date, present):
    found = keys(file, grants_as_of(user=file.auditor, date=date))

    assert ("shiminzei_head_window" in found) is present
    assert "jinji_tax" in found


@pytest.mark.clause("A2.6")
def test_grants_starting_after_the_date_are_not_in_the_file_yet(file):
    later = _grant(
        Grant.objects.get(pk=file.grants["jinji_tax"].pk).account,
        file.juki,
        "update",
        valid_from=dt.date(2025, 4, 1),
    )

    assert later not in grants_as_of(user=file.auditor, date=dt.date(2025, 3, 31))
    assert later in grants_as_of(user=file.auditor, date=dt.date(2025, 4, 1))


@pytest.mark.clause("A2.6")
def test_file_as_of_a_date_excludes_grants_of_user_ids_that_had_ended(file, world):
    from kengen.grants.models import Account

    account = Account.objects.create(  # an ended ID whose grant row was (wrongly) left open
        system=file.core,
        user_id="OLD-ID",
        person=world.people["jinji_clerk"],
        valid_from=START,
        valid_to=dt.date(2024, 5, 1),
        end_reason="account_ended",
    )
    orphan = Grant.objects.create(
        account=account,
        permission=file.tax.permissions.get(code="update"),
        valid_from=START,
        basis=GrantBasis.INITIAL_LOAD,
    )

    assert orphan in grants_as_of(user=file.auditor, date=dt.date(2024, 4, 30))
    assert orphan not in grants_as_of(user=file.auditor, date=dt.date(2024, 5, 1))


# --- narrowed by system, unit and person ------------------------------------------------------


@pytest.mark.clause("A2.6")
def test_filter_by_the_core_package_includes_its_business_systems(file):
    found = keys(file, grants_as_of(user=file.auditor, date=ON, system_id=file.core.id))

    assert found == {"jinji_tax", "kazei_tax", "kazei_juki", "shiminzei_head_window"}


@pytest.mark.clause("A2.6")
def test_filter_by_a_business_system_keeps_only_its_permissions(file):
    assert keys(file, grants_as_of(user=file.auditor, date=ON, system_id=file.juki.id)) == {"kazei_juki"}
    assert keys(file, grants_as_of(user=file.auditor, date=ON, system_id=file.tax.id)) == {
        "jinji_tax",
        "kazei_tax",
        "shiminzei_head_window",
    }


@pytest.mark.clause("A2.6")
def test_filter_by_an_individual_system(file):
    found = keys(file, grants_as_of(user=file.auditor, date=ON, system_id=file.jinji_sys.id))

    assert found == {"jinji_sys", "shokuin_head_sys", "kazei_sys"}


@pytest.mark.clause("A2.6")
def test_filter_by_organization_includes_the_units_below_it(file, world):
    by_division = keys(file, grants_as_of(user=file.auditor, date=ON, organization_id=world.shokuin.id))
    by_section = keys(file, grants_as_of(user=file.auditor, date=ON, organization_id=world.jinji.id))
    by_department = keys(file, grants_as_of(user=file.auditor, date=ON, organization_id=world.somu.id))

    assert by_division == {"jinji_tax", "jinji_sys", "shokuin_head_sys"}
    assert by_section == {"jinji_tax", "jinji_sys"}
    assert by_department == ALL
    assert keys(file, grants_as_of(user=file.auditor, date=ON, organization_id=world.joho.id)) == set()


@pytest.mark.clause("A2.6")
def test_filter_by_organization_follows_assignments_on_the_date(file, world):
    clerk = world.people["kazei_clerk"]
    transfer = dt.date(2025, 4, 1)
    assignment_end(
        actor=None,
        assignment=clerk.assignments_on(START).get(),
        on=transfer,
        reason=AssignmentEndReason.TRANSFER,
    )
    assignment_start(
        actor=None, person=clerk, organization=world.jinji, post=world.clerk, valid_from=transfer
    )
    before, after = transfer - dt.timedelta(days=1), transfer

    assert "kazei_tax" in keys(
        file, grants_as_of(user=file.auditor, date=before, organization_id=world.kazei.id)
    )
    assert "kazei_tax" not in keys(
        file, grants_as_of(user=file.auditor, date=after, organization_id=world.kazei.id)
    )
    assert "kazei_tax" in keys(
        file, grants_as_of(user=file.auditor, date=after, organization_id=world.jinji.id)
    )


@pytest.mark.clause("A2.6")
def test_filter_by_person(file, world):
    found = keys(file, grants_as_of(user=file.auditor, date=ON, person_id=world.people["kazei_clerk"].id))

    assert found == {"kazei_tax", "kazei_juki", "kazei_sys"}


def test_person_with_concurrent_assignments_is_counted_once_per_grant(file, world):
    clerk = world.people["kazei_clerk"]
    assignment_start(
        actor=None,
        person=clerk,
        organization=world.jinji,
        post=world.clerk,
        valid_from=START,
        is_primary=False,
    )

    rows = management_file(user=file.auditor, flt=FileFilter(as_of=ON, organization_id=world.somu.id))

    assert len(rows) == len(ALL)
    row = next(r for r in rows if r.grant == file.grants["kazei_tax"])
    assert row.organization == "総務部市民税課課税係、総務部職員課人事係"  # primary first


# --- restricted to what the reader may see ----------------------------------------------------


@pytest.mark.clause("A4")
def test_security_officer_sees_only_the_grants_of_their_own_organizations_people(file, world):
    officer = world.users["shiminzei_head"]  # heads 市民税課, administers no system

    assert keys(file, grants_as_of(user=officer, date=ON)) == {
        "kazei_tax",
        "kazei_juki",
        "kazei_sys",
        "shiminzei_head_window",
    }


@pytest.mark.clause("A4")
def test_officer_filtering_by_another_organization_gets_nothing(file, world):
    officer = world.users["shiminzei_head"]

    assert keys(file, grants_as_of(user=officer, date=ON, organization_id=world.shokuin.id)) == set()


@pytest.mark.clause("A3.1")
@pytest.mark.clause("A4")
def test_system_administrator_sees_every_grant_on_their_system_and_their_own_units_grants(file, world):
    admin = world.users["shokuin_head"]  # administers 人事給与システム; officer of 職員課

    assert keys(file, grants_as_of(user=admin, date=ON)) == {
        "jinji_sys",
        "shokuin_head_sys",
        "kazei_sys",  # every grant on the system they administer
        "jinji_tax",  # and the core grants of their own people, as security officer
    }


@pytest.mark.clause("A3.1")
def test_core_administrator_sees_every_grant_on_the_core_package(file, world):
    core_admin = world.users["joho_head"]

    assert keys(file, grants_as_of(user=core_admin, date=ON)) == {
        "jinji_tax",
        "kazei_tax",
        "kazei_juki",
        "shiminzei_head_window",
    }


def test_auditor_sees_every_grant(file):
    assert keys(file, grants_as_of(user=file.auditor, date=ON)) == ALL


def test_user_without_a_role_sees_only_their_own_grants(file, world):
    assert keys(file, grants_as_of(user=world.users["jinji_clerk"], date=ON)) == {
        "jinji_tax",
        "jinji_sys",
    }


def test_anonymous_and_inactive_users_see_nothing(file):
    from django.contrib.auth.models import AnonymousUser

    file.auditor.is_active = False
    assert keys(file, grants_as_of(user=AnonymousUser(), date=ON)) == set()
    assert keys(file, grants_as_of(user=file.auditor, date=ON)) == set()


@pytest.mark.clause("A4")
def test_officer_looking_at_a_past_date_sees_who_was_theirs_then_and_who_is_theirs_now(file, world):
    clerk = world.people["kazei_clerk"]
    transfer = dt.date(2025, 4, 1)
    assignment_end(
        actor=None,
        assignment=clerk.assignments_on(START).get(),
        on=transfer,
        reason=AssignmentEndReason.TRANSFER,
    )
    assignment_start(
        actor=None, person=clerk, organization=world.jinji, post=world.clerk, valid_from=transfer
    )
    old_officer, new_officer = world.users["shiminzei_head"], world.users["shokuin_head"]

    assert "kazei_tax" in keys(file, grants_as_of(user=old_officer, date=ON))  # theirs on that date
    assert "kazei_tax" not in keys(file, grants_as_of(user=old_officer, date=transfer))
    assert "kazei_tax" in keys(file, grants_as_of(user=new_officer, date=ON))  # theirs today


# --- printing -----------------------------------------------------------------------------------


@pytest.mark.clause("A2.6")
def test_management_file_table_holds_units_and_inclusive_last_days_as_dates(file, world):
    rows = management_file(
        user=file.auditor, flt=FileFilter(as_of=ON, person_id=world.people["shiminzei_head"].id)
    )

    table = management_file_table(rows, ON)

    assert "令和6年7月1日" in table.title
    assert len(table.rows) == 1
    cells = table.rows[0]
    assert "COKAS-R/ADⅡ" in cells and "個人住民税" in cells and "COKAS-shiminzei_head" in cells
    assert "総務部市民税課" in cells
    assert dt.date(2024, 6, 1) in cells  # real dates: the spreadsheet shows them in the era
    assert dt.date(2024, 8, 31) in cells  # valid_to 2024-09-01 is exclusive
