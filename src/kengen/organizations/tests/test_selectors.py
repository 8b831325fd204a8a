"""Reading the organization tree as of a date (AS, A4)."""

from __future__ import annotations

import datetime as dt

import pytest

from kengen.organizations.selectors import OrgTree, organization_full_name
from kengen.personnel.services import organization_end
from kengen.testing import START, org

pytestmark = pytest.mark.django_db

D = dt.date(2025, 4, 1)


def test_full_name_is_written_as_official_lists_write_it_without_the_city(world):
    tree = OrgTree(START)

    assert tree.full_name(world.jinji.id) == "総務部職員課人事係"
    assert tree.full_name(world.joho.id) == "企画財政部情報システム課"
    assert tree.full_name(world.city.id) == "北見市"
    assert organization_full_name(world.kazei) == "総務部市民税課課税係"


def test_ancestors_run_from_the_root_down_to_the_parent(world):
    assert OrgTree(START).ancestors(world.jinji.id) == [world.city, world.somu, world.shokuin]


def test_descendants_include_every_level_below(world):
    tree = OrgTree(START)

    assert tree.descendant_ids([world.somu.id]) == {
        world.somu.id,
        world.shokuin.id,
        world.jinji.id,
        world.shiminzei.id,
        world.kazei.id,
    }
    assert tree.descendant_ids([world.shokuin.id], include_self=False) == {world.jinji.id}


@pytest.mark.clause("AS")
def test_tree_as_of_a_date_holds_only_units_in_force_that_day(world):
    kosei = org("KOSEI", "厚生係", "section", world.shokuin)
    later = org("KYUYO", "給与係", "section", world.shokuin, valid_from=D)
    organization_end(actor=None, organization=kosei, on=D)

    before, after = OrgTree(D - dt.timedelta(days=1)), OrgTree(D)

    assert kosei.id in before.by_id and later.id not in before.by_id
    assert kosei.id not in after.by_id and later.id in after.by_id
    assert after.descendant_ids([world.shokuin.id]) == {world.shokuin.id, world.jinji.id, later.id}


@pytest.mark.clause("A4")
def test_security_unit_of_a_section_is_the_division_above_it(world):
    tree = OrgTree(START)

    assert tree.security_unit_of(world.jinji.id) == world.shokuin
    assert tree.security_unit_of(world.shokuin.id) == world.shokuin
    assert tree.security_unit_of(world.somu.id) is None  # a 部 without an officer of its own


def test_walk_lists_every_unit_depth_first_with_its_depth(world):
    walked = OrgTree(START).walk()

    assert walked[0] == (world.city, 0)
    depth = dict((o.code, d) for o, d in walked)
    assert depth["SOMU"] == 1 and depth["SHOKUIN"] == 2 and depth["JINJI"] == 3
    codes = [o.code for o, _ in walked]
    # siblings by (sort_order, code); each unit's subtree follows it before the next sibling
    assert codes == ["CITY", "KIKAKU", "JOHO", "SOMU", "SHIMINZEI", "KAZEI", "SHOKUIN", "JINJI"]
