"""Fixtures shared by the grants tests. Each test module defines its own ``core`` fixture (the core
package and its business system, ``(core, tax)``); ``maintainer`` uses the requesting module's."""

import pytest

from kengen.contractors.services import contractor_create
from kengen.people.choices import PersonKind
from kengen.people.services import person_create
from kengen.testing import maintenance_contract


@pytest.fixture
def maintainer(world, core):
    """A contractor's engineer on an active contract covering the core package (A5.9: maintenance
    staff belong to a contract)."""
    person = person_create(
        actor=None,
        kind=PersonKind.MAINTENANCE,
        contractor=contractor_create(actor=None, name="北見システム保守株式会社"),
        family_name="保守",
        given_name="一郎",
        family_name_kana="ホシュ",
        given_name_kana="イチロウ",
    )
    maintenance_contract(
        person,
        [core[0]],
        organization=world.joho,
        officer=world.users["joho_head"],
        it_head=world.users["joho_head"],
    )
    return person
