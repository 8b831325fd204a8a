"""A world with one individual system (owned by 職員課, so its head administers it) and grants
held by people in two sections, a maintenance person and a viewing-free setup."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from kengen.grants.choices import AccountKind, GrantBasis
from kengen.grants.models import Account, Grant
from kengen.grants.services import account_create, grant_create
from kengen.people.models import Person
from kengen.systems.models import System
from kengen.testing import START, World, staff

TODAY = dt.date(2025, 6, 2)


@dataclass
class ReviewWorld:
    w: World
    system: System
    grants: dict[str, Grant]

    def account(self, person: Person, uid: str) -> Account:
        return account_create(actor=None, system=self.system, user_id=uid, person=person, valid_from=START)

    def grant(self, account: Account, perm: str = "inquiry", valid_to: dt.date | None = None) -> Grant:
        return grant_create(
            actor=None,
            account=account,
            permission=self.system.permissions.get(code=perm),
            valid_from=START,
            valid_to=valid_to,
            basis=GrantBasis.APPLICATION,
            basis_reference="A-1",
        )


@pytest.fixture
def rw(world: World) -> ReviewWorld:
    system = world.system("JUKI", "住基照会")
    r = ReviewWorld(w=world, system=system, grants={})
    jinji = r.account(world.people["jinji_clerk"], "u-jinji")
    kazei = r.account(world.people["kazei_clerk"], "u-kazei")
    r.grants["jinji_inquiry"] = r.grant(jinji)
    r.grants["jinji_update"] = r.grant(jinji, "update")
    r.grants["kazei_inquiry"] = r.grant(kazei)
    return r


def maintenance_person() -> Person:
    from kengen.contractors.services import contractor_create
    from kengen.people.choices import PersonKind
    from kengen.people.services import person_create

    c = contractor_create(actor=None, name="保守株式会社")
    return person_create(
        actor=None,
        family_name="保守",
        given_name="一",
        family_name_kana="ホシュ",
        given_name_kana="ハジメ",
        kind=PersonKind.MAINTENANCE,
        contractor=c,
    )


__all__ = ["TODAY", "AccountKind", "ReviewWorld", "maintenance_person", "rw", "staff"]
