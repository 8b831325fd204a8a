import pytest
from django.utils import translation

from kengen.credentials.tests.helpers import hold_in_kengen, personal_account


@pytest.fixture
def core(world):
    """COKAS-R/ADⅡ (administered by 情報システム課) holding its passwords in Kengen, and the
    人事係 clerk's user ID JINJI001 with 照会 on 個人住民税."""
    core, tax = world.core()
    hold_in_kengen(world, core)
    world.core_system, world.tax = core, tax
    world.account = personal_account(world, core, "jinji_clerk", "JINJI001", perm_system=tax)
    return world


@pytest.fixture(autouse=True)
def _english_messages():
    """Services word their refusals through gettext and the default language is Japanese: tests
    that read a message read the English source, whatever the catalogue holds."""
    with translation.override("en"):
        yield
