"""Planning synthetic demo staff for a profile: pure and deterministic, no database.

``plan_staff`` decides who works where (a head with the right head post for every unit, members
in the leaf units, about a fifth of them fiscal-year appointees) from a seeded random generator,
so the same profile and fiscal year always give the same people and staff numbers.
``services.profile_load`` writes the plan through the people services.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from kengen.profiles.schema import Profile, UnitDef

SEED = 2024
FIRST_STAFF_NUMBER = 100001

REGULAR = "regular"
FY_FULL_TIME = "fy_full_time"
FY_PART_TIME = "fy_part_time"
FISCAL_YEAR_POST = "kaikei_nendo"


@dataclass
class StaffPlan:
    """One synthetic person: name, appointment, and the unit and post they hold."""

    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    employment_type: str
    appointed_from: dt.date
    appointed_to: dt.date | None  # exclusive; set for fiscal-year appointees (A7)
    unit: str
    post: str
    is_head: bool
    staff_number: str = ""

    @property
    def is_fiscal_year(self) -> bool:
        return self.employment_type in (FY_FULL_TIME, FY_PART_TIME)


def _hire_years(post_rank: int, last_year: int) -> tuple[int, int]:
    """Plausible hiring years for a head post of ``post_rank`` (lower = more senior)."""
    if post_rank <= 15:
        return 1986, min(1992, last_year)
    if post_rank <= 30:
        return 1990, min(2000, last_year)
    return 1996, min(2010, last_year)


def _member_post(hired: int) -> str:
    if hired <= 2006:
        return "shusa"
    if hired <= 2015:
        return "shunin"
    return "shuji"


class _Names:
    """Unique (family, given) pairs drawn from the profile's name lists."""

    def __init__(self, profile: Profile, rng: random.Random):
        self.family = profile.family_names
        self.given = profile.given_names
        self.rng = rng
        self.used: set[tuple[str, str]] = set()

    def draw(self) -> tuple[str, str, str, str]:
        for _ in range(1000):
            family, family_kana = self.rng.choice(self.family)
            given, given_kana = self.rng.choice(self.given)
            if (family, given) not in self.used:
                self.used.add((family, given))
                return family, given, family_kana, given_kana
        raise ValueError("The profile's name lists are too short for its staff.")


def plan_staff(
    profile: Profile, *, fiscal_year: tuple[dt.date, dt.date], seed: int = SEED
) -> list[StaffPlan]:
    """Every person of the demo, with staff numbers in order of hiring."""
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not security
    names = _Names(profile, rng)
    ranks = {p.code: p.rank for p in profile.posts}
    last_year = profile.effective.year
    fy_start, fy_end = fiscal_year
    plans: list[StaffPlan] = []

    def person(
        unit: UnitDef,
        post: str,
        employment_type: str,
        start: dt.date,
        end: dt.date | None,
        head: bool,
    ):
        family, given, family_kana, given_kana = names.draw()
        plans.append(
            StaffPlan(
                family,
                given,
                family_kana,
                given_kana,
                employment_type,
                start,
                end,
                unit.code,
                post,
                head,
            )
        )

    for unit, _parent, _depth in profile.units():
        if unit.kind == "city":
            continue
        head_post = unit.head or profile.head_posts[unit.kind]
        first, last = _hire_years(ranks[head_post], last_year)
        person(unit, head_post, REGULAR, dt.date(rng.randint(first, last), 4, 1), None, True)
        if unit.children:
            continue  # staff work in the leaf units; a 部 or 課 with 係 has only its head
        regular = unit.members if unit.members is not None else 1 + (rng.random() < 0.15)
        for _ in range(regular):
            hired = rng.randint(2000, last_year)
            person(unit, _member_post(hired), REGULAR, dt.date(hired, 4, 1), None, False)
        fiscal = (
            unit.fiscal_year
            if unit.fiscal_year is not None
            else int(rng.random() < profile.fiscal_year_chance)
        )
        for _ in range(fiscal):
            kind = FY_PART_TIME if rng.random() < 0.6 else FY_FULL_TIME
            person(unit, FISCAL_YEAR_POST, kind, fy_start, fy_end, False)

    order = sorted(range(len(plans)), key=lambda i: (plans[i].appointed_from, plans[i].is_fiscal_year, i))
    for n, i in enumerate(order):
        plans[i].staff_number = str(FIRST_STAFF_NUMBER + n)
    return sorted(plans, key=lambda p: p.staff_number)
