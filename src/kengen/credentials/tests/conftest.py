import pytest
from django.utils import timezone, translation

from kengen.core.dates import fiscal_year_end
from kengen.credentials.tests.helpers import hold_in_kengen, personal_account
from kengen.people.choices import EmploymentType
from kengen.testing import staff, user_for


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


@pytest.fixture
def hr(world):
    """人事給与システム, owned by 情報システム課 (its head administers it), holding its own passwords;
    the 人事係 clerk's user ID HR001 and a fiscal-year appointee 佐々木 京子 with HR002."""
    world.hr = world.system("HR", "人事給与システム", owner=world.joho)
    world.account = personal_account(world, world.hr, "jinji_clerk", "HR001")
    end = fiscal_year_end(timezone.localdate())
    appointee = staff(
        world.jinji,
        employment_type=EmploymentType.FY_PART_TIME,
        family="佐々木",
        given="京子",
        appointment_to=end,
    )
    world.people["appointee"] = appointee
    world.users["appointee"] = user_for(appointee, username="appointee")
    world.appointee_account = personal_account(world, world.hr, "appointee", "HR002", valid_to=end)
    return world
