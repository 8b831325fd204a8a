"""A5.5 / AS: who the core and intermediate-server administrators may grant directly (別表第2)."""

from __future__ import annotations

import datetime as dt

import pytest

from kengen.core.exceptions import RuleViolation
from kengen.eligibility.choices import EntryScope
from kengen.eligibility.selectors import (
    direct_grant_eligibility,
    join_units,
    render_entry,
    table2_as_of,
)
from kengen.eligibility.services import eligibility_entry_create, eligibility_entry_end
from kengen.organizations.models import Organization
from kengen.organizations.selectors import OrgTree
from kengen.organizations.services import OrganizationSpec
from kengen.people.choices import EmploymentType
from kengen.people.services import appointment_start, assignment_start, person_create
from kengen.personnel.services import organization_reorganize
from kengen.testing import START, org, staff

pytestmark = pytest.mark.django_db

D = dt.date(2025, 4, 1)
BEFORE_D = D - dt.timedelta(days=1)


def entry(organization, scope=EntryScope.ALL, units=(), valid_from=START, **kwargs):
    return eligibility_entry_create(
        actor=None,
        organization=organization,
        scope=scope,
        units=list(units),
        valid_from=valid_from,
        **kwargs,
    )


@pytest.fixture
def units(world):
    """Extra units shaped like 別表第2's qualified lines."""
    u = {
        "kyuyo": org("KYUYO", "給与係", "section", world.shokuin),
        "kosei": org("KOSEI", "厚生係", "section", world.shokuin),
        "shimin": org("SHIMIN", "市民環境部", "department", world.city),
    }
    u["koseki"] = org("KOSEKI", "戸籍住民課", "division", u["shimin"], security=True)
    u["yasuragi"] = org("YASURAGI", "やすらぎ苑係", "section", u["koseki"])
    u["jumin"] = org("JUMIN", "住民記録係", "section", u["koseki"])
    u["hoken"] = org("HOKEN", "保健福祉部", "department", world.city)
    u["hsomu"] = org("HSOMU", "総務課", "division", u["hoken"], security=True)
    u["shido1"] = org("SHIDO1", "指導第1係", "section", u["hsomu"])
    u["shido2"] = org("SHIDO2", "指導第2係", "section", u["hsomu"])
    u["shomu"] = org("SHOMU", "庶務係", "section", u["hsomu"])
    return u


# --- 別表第2 qualifiers ---------------------------------------------------------------------


@pytest.mark.clause("A5.5")
def test_whole_organization_entry_covers_the_division_and_every_section_below_it(world):
    listed = entry(world.shiminzei)
    on = dt.date(2024, 6, 1)

    at_section = direct_grant_eligibility(world.people["kazei_clerk"], on)
    at_division = direct_grant_eligibility(world.people["shiminzei_head"], on)

    assert at_section.eligible and at_section.entry == listed
    assert at_division.eligible and at_division.entry == listed
    assert not direct_grant_eligibility(world.people["jinji_clerk"], on)  # 職員課 is not listed
    assert not direct_grant_eligibility(world.people["joho_head"], on)


@pytest.mark.clause("A5.5")
def test_limited_to_one_section_covers_only_that_section(world, units):
    entry(world.shokuin, EntryScope.ONLY, [world.jinji])
    kyuyo_clerk = staff(units["kyuyo"])

    assert direct_grant_eligibility(world.people["jinji_clerk"], START)
    assert not direct_grant_eligibility(kyuyo_clerk, START)


@pytest.mark.clause("A5.5")
def test_limited_to_two_sections_covers_both_and_nothing_else(world, units):
    """総務部職員課(人事係及び給与係に限る。)"""
    entry(world.shokuin, EntryScope.ONLY, [world.jinji, units["kyuyo"]])

    assert direct_grant_eligibility(world.people["jinji_clerk"], START)
    assert direct_grant_eligibility(staff(units["kyuyo"]), START)
    assert not direct_grant_eligibility(staff(units["kosei"]), START)


@pytest.mark.clause("A5.5")
def test_limited_entry_does_not_cover_staff_assigned_to_the_division_itself(world):
    """Reading implemented for 「…係に限る」: only people assigned to a named 係 (or a unit below
    it) are covered. Staff assigned at the 課 level itself — the 課長, or a clerk not placed in
    any 係 — belong to none of the named units, so they are NOT eligible."""
    entry(world.shokuin, EntryScope.ONLY, [world.jinji])
    division_clerk = staff(world.shokuin)

    result = direct_grant_eligibility(world.people["shokuin_head"], START)

    assert not result.eligible and result.entry is None
    assert not direct_grant_eligibility(division_clerk, START)
    assert direct_grant_eligibility(world.people["jinji_clerk"], START)


@pytest.mark.clause("A5.5")
def test_except_one_section_covers_the_rest_of_the_division(units):
    """市民環境部戸籍住民課(やすらぎ苑係を除く。)"""
    entry(units["koseki"], EntryScope.EXCEPT, [units["yasuragi"]])

    assert direct_grant_eligibility(staff(units["jumin"]), START)
    assert not direct_grant_eligibility(staff(units["yasuragi"]), START)


@pytest.mark.clause("A5.5")
def test_except_entry_covers_staff_assigned_to_the_division_itself(world, units):
    """Reading implemented for 「…係を除く」: the whole 課 is listed and only the named 係 are
    carved out, so staff assigned at the 課 level itself (e.g. the 課長) ARE eligible."""
    entry(units["koseki"], EntryScope.EXCEPT, [units["yasuragi"]])
    head = staff(units["koseki"], post_=world.head)

    assert direct_grant_eligibility(head, START)


@pytest.mark.clause("A5.5")
def test_except_two_sections_excludes_both(units):
    """保健福祉部総務課(指導第1係及び指導第2係を除く。)"""
    entry(units["hsomu"], EntryScope.EXCEPT, [units["shido1"], units["shido2"]])

    assert direct_grant_eligibility(staff(units["shomu"]), START)
    assert not direct_grant_eligibility(staff(units["shido1"]), START)
    assert not direct_grant_eligibility(staff(units["shido2"]), START)


@pytest.mark.clause("A5.5")
def test_a_unit_below_a_named_section_follows_that_section(world, units):
    """A team (班) below a named 係 is inside it: covered under 限る, excluded under 除く."""
    team = org("JINJI-HAN", "人事班", "section", world.jinji)
    yasuragi_team = org("YASURAGI-HAN", "管理班", "section", units["yasuragi"])
    entry(world.shokuin, EntryScope.ONLY, [world.jinji])
    entry(units["koseki"], EntryScope.EXCEPT, [units["yasuragi"]])

    assert direct_grant_eligibility(staff(team), START)
    assert not direct_grant_eligibility(staff(yasuragi_team), START)


# --- employment type and appointment ---------------------------------------------------------


@pytest.mark.clause("A5.5")
@pytest.mark.parametrize("employment_type", [EmploymentType.FY_FULL_TIME, EmploymentType.FY_PART_TIME])
def test_fiscal_year_appointees_are_never_eligible_even_in_a_covered_unit(world, employment_type):
    entry(world.shiminzei)
    appointee = staff(world.kazei, employment_type=employment_type)

    result = direct_grant_eligibility(appointee, START)

    assert not result.eligible
    assert result.entry is None
    assert direct_grant_eligibility(world.people["kazei_clerk"], START)  # same unit, regular staff


@pytest.mark.clause("A5.5")
def test_other_fixed_term_staff_in_a_covered_unit_are_eligible(world):
    """Only 会計年度任用職員 are excepted by A5.5; other fixed-term staff are not."""
    entry(world.shiminzei)
    fixed_term = staff(world.kazei, employment_type=EmploymentType.OTHER_FIXED_TERM)

    assert direct_grant_eligibility(fixed_term, START)


@pytest.mark.clause("A5.5")
def test_person_without_an_appointment_is_not_eligible(world):
    entry(world.shiminzei)
    person = person_create(
        actor=None,
        family_name="無任用",
        given_name="太郎",
        family_name_kana="ムニンヨウ",
        given_name_kana="タロウ",
        staff_number="N000001",
    )
    assignment_start(actor=None, person=person, organization=world.kazei, post=world.clerk, valid_from=START)

    assert not direct_grant_eligibility(person, START)


@pytest.mark.clause("A5.5")
def test_appointment_decides_on_the_date_asked(world):
    """A fiscal-year appointee who becomes regular staff is eligible from that day, not before."""
    entry(world.shiminzei)
    person = staff(world.kazei, employment_type=EmploymentType.FY_PART_TIME, appointment_to=D)
    appointment_start(actor=None, person=person, employment_type=EmploymentType.REGULAR, valid_from=D)

    assert not direct_grant_eligibility(person, BEFORE_D)
    assert direct_grant_eligibility(person, D)


# --- effective dating (AS) -----------------------------------------------------------------


@pytest.mark.clause("A5.5")
@pytest.mark.clause("AS")
def test_ended_entry_covers_up_to_the_day_before_it_ends(world):
    listed = entry(world.shiminzei)
    eligibility_entry_end(actor=None, entry=listed, on=D)

    assert direct_grant_eligibility(world.people["kazei_clerk"], BEFORE_D)
    assert not direct_grant_eligibility(world.people["kazei_clerk"], D)
    assert list(table2_as_of(BEFORE_D)) == [listed]
    assert list(table2_as_of(D)) == []


@pytest.mark.clause("A5.5")
@pytest.mark.clause("AS")
def test_entry_starting_in_the_future_covers_nobody_before_its_start(world):
    entry(world.shiminzei, valid_from=D)

    assert not direct_grant_eligibility(world.people["kazei_clerk"], BEFORE_D)
    assert direct_grant_eligibility(world.people["kazei_clerk"], D)


@pytest.mark.clause("A5.5")
def test_concurrent_assignment_in_a_covered_unit_makes_the_person_eligible(world):
    """兼務: one covered assignment, primary or not, is enough."""
    entry(world.shiminzei)
    person = world.people["jinji_clerk"]
    assert not direct_grant_eligibility(person, D)

    assignment_start(
        actor=None,
        person=person,
        organization=world.kazei,
        post=world.clerk,
        valid_from=D,
        is_primary=False,
    )

    assert not direct_grant_eligibility(person, BEFORE_D)
    result = direct_grant_eligibility(person, D)
    assert result.eligible and result.entry.organization == world.shiminzei


@pytest.mark.clause("A5.5")
@pytest.mark.clause("AS")
def test_entry_for_a_reorganized_unit_does_not_cover_its_successor_until_a_new_entry_is_made(world):
    """Table 2 is amended around a reorganization: the old line ends on the day, the successor's
    line is added after it (a reorganization is refused while a line still names an ending unit)."""
    old_line = entry(world.shiminzei)
    spec = dict(
        actor=None,
        on=D,
        ending=[world.shiminzei, world.kazei],
        creating=[
            OrganizationSpec(
                code="ZEIMU", name="税務課", kind="division", parent=world.somu, is_security_unit=True
            ),
            OrganizationSpec(code="ZEIMU-KAZEI", name="課税係", kind="section", parent="ZEIMU"),
        ],
        moves={"SHIMINZEI": "ZEIMU", "KAZEI": "ZEIMU-KAZEI"},
    )
    with pytest.raises(RuleViolation) as exc:
        organization_reorganize(**spec)
    assert exc.value.clause == "AS" and old_line.listed_as in exc.value.message
    eligibility_entry_end(actor=None, entry=old_line, on=D)
    organization_reorganize(
        actor=None,
        on=D,
        ending=[world.shiminzei, world.kazei],
        creating=[
            OrganizationSpec(
                code="ZEIMU",
                name="税務課",
                kind="division",
                parent=world.somu,
                is_security_unit=True,
            ),
            OrganizationSpec(code="ZEIMU-KAZEI", name="課税係", kind="section", parent="ZEIMU"),
        ],
        moves={"SHIMINZEI": "ZEIMU", "KAZEI": "ZEIMU-KAZEI"},
    )
    clerk = world.people["kazei_clerk"]

    assert direct_grant_eligibility(clerk, BEFORE_D)
    assert not direct_grant_eligibility(clerk, D)

    entry(Organization.objects.as_of(D).get(code="ZEIMU"), valid_from=D)

    assert direct_grant_eligibility(clerk, D)


# --- rendering the line as the regulation prints it -------------------------------------------


@pytest.mark.clause("A5.5")
def test_render_two_named_sections_as_the_regulation_prints_them(world, units):
    line = entry(world.shokuin, EntryScope.ONLY, [units["kyuyo"], world.jinji])

    assert line.listed_as == "総務部職員課(人事係及び給与係に限る。)"
    assert render_entry(line, OrgTree(START)) == "総務部職員課(人事係及び給与係に限る。)"


@pytest.mark.clause("A5.5")
def test_render_excluded_section_as_the_regulation_prints_it(units):
    line = entry(units["koseki"], EntryScope.EXCEPT, [units["yasuragi"]])

    assert render_entry(line, OrgTree(START)) == "市民環境部戸籍住民課(やすらぎ苑係を除く。)"


@pytest.mark.clause("A5.5")
def test_render_three_units_joins_with_commas_and_oyobi_in_unit_order(units):
    line = entry(units["hsomu"], EntryScope.EXCEPT, [units["shomu"], units["shido2"], units["shido1"]])

    assert render_entry(line, OrgTree(START)) == "保健福祉部総務課(指導第1係、指導第2係及び庶務係を除く。)"


def test_join_units_follows_the_regulations_conjunctions():
    assert join_units([]) == ""
    assert join_units(["A"]) == "A"
    assert join_units(["A", "B"]) == "A及びB"
    assert join_units(["A", "B", "C"]) == "A、B及びC"


@pytest.mark.clause("A5.5")
def test_whole_organization_renders_its_full_name_without_the_city(world):
    assert entry(world.shiminzei).listed_as == "総務部市民税課"
