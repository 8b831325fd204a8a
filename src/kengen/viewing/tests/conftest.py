import pytest
from django.utils import translation

from kengen.credentials.tests.helpers import hold_in_kengen
from kengen.testing import START
from kengen.viewing.services import viewing_id_create


@pytest.fixture
def kazei(world):
    """COKAS-R/ADⅡ holding its passwords in Kengen; 課税係 (市民税課) holds viewing IDs VIEW01/VIEW02."""
    core, tax = world.core()
    hold_in_kengen(world, core)
    inquiry = tax.permissions.get(code="inquiry")
    world.core_system, world.tax = core, tax
    world.view1 = viewing_id_create(
        actor=world.users["joho_head"],
        system=core,
        user_id="VIEW01",
        holder_organization=world.kazei,
        permissions=[inquiry],
        valid_from=START,
    )
    world.view2 = viewing_id_create(
        actor=world.users["joho_head"],
        system=core,
        user_id="VIEW02",
        holder_organization=world.kazei,
        permissions=[inquiry],
        valid_from=START,
    )
    return world


@pytest.fixture(autouse=True)
def _english_messages():
    """Services word their refusals through gettext and the default language is Japanese: tests
    that read a message read the English source, whatever the catalogue holds."""
    with translation.override("en"):
        yield
