"""An outsourcing world: the core system (so 情報システム課長 is the IT division head), an individual
system of 職員課, a contractor with one maintenance staff member, and a configuration
administrator."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from kengen.contractors.models import Contractor
from kengen.contractors.services import contractor_create
from kengen.people.choices import PersonKind
from kengen.people.models import Person
from kengen.people.services import person_create
from kengen.systems.models import System
from kengen.testing import START, World, staff, user_for
from kengen.users.models import User


@dataclass
class Outsourcing:
    world: World
    core: System
    tax: System
    jinji_system: System
    contractor: Contractor
    other: Contractor
    engineer: Person
    configurator: User

    @property
    def officer(self) -> User:  # security officer of 職員課, which owns the individual system
        return self.world.users["shokuin_head"]

    @property
    def it_head(self) -> User:  # 情報システム課長: administrator of the core system (A3.1)
        return self.world.users["joho_head"]


@pytest.fixture
def out(world) -> Outsourcing:
    from kengen.roles.choices import DesignatedRoleKind
    from kengen.roles.services import role_designate

    core, tax = world.core()
    jinji_system = world.system("JINJI-SYS", "人事給与システム", owner=world.shokuin)
    contractor = contractor_create(
        actor=None, name="北見情報サービス株式会社", kana="キタミジョウホウサービス"
    )
    other = contractor_create(actor=None, name="オホーツク開発合同会社", kana="オホーツクカイハツ")
    engineer = person_create(
        actor=None,
        family_name="保守",
        given_name="太郎",
        family_name_kana="ホシュ",
        given_name_kana="タロウ",
        kind=PersonKind.MAINTENANCE,
        contractor=contractor,
    )
    configurator = user_for(staff(world.jinji, family="構成", given="管理"), username="config")
    role_designate(actor=None, user=configurator, role=DesignatedRoleKind.CONFIGURATOR, valid_from=START)
    return Outsourcing(world, core, tax, jinji_system, contractor, other, engineer, configurator)


def period() -> tuple[dt.date, dt.date]:
    """From the world's start until a year from today (exclusive)."""
    from django.utils import timezone

    return START, timezone.localdate() + dt.timedelta(days=365)
