"""The form of user IDs: checked at every registration in the management file (A2.6, A14)."""

from __future__ import annotations

import pytest

from kengen.core.exceptions import PermissionDenied, RuleViolation
from kengen.grants.models import Account
from kengen.grants.services import account_create
from kengen.roles.services import role_designate
from kengen.systems.services import system_update
from kengen.testing import START, user_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def configurator(world):
    user = user_for(None, username="conf")
    role_designate(actor=None, user=user, role="configurator", valid_from=START)
    return user


@pytest.mark.clause("A2.6")
@pytest.mark.parametrize(
    "bad", ['=HYPERLINK("http://x","y")', "+1+1", "-2", "@SUM(A1)", "<script>x</script>", "a b", "山田"]
)
def test_markup_formulas_and_spaces_are_refused_as_user_ids(world, bad):
    system = world.system("JINJI", "人事給与システム")
    with pytest.raises(RuleViolation) as exc:
        account_create(
            actor=None, system=system, user_id=bad, person=world.people["jinji_clerk"], valid_from=START
        )
    assert (exc.value.clause, exc.value.field) == ("A2.6", "user_id")
    assert not Account.objects.exists()


@pytest.mark.clause("A14")
@pytest.mark.clause("A2.6")
def test_a_systems_own_pattern_is_checked_at_registration(world, configurator):
    system = world.system("JINJI", "人事給与システム")
    system_update(
        actor=configurator, system=system, user_id_pattern=r"^k[0-9]{6}$", user_id_example="k000123"
    )
    with pytest.raises(RuleViolation) as exc:
        account_create(
            actor=None, system=system, user_id="T000001", person=world.people["jinji_clerk"], valid_from=START
        )
    assert "k000123" in str(exc.value.message)
    account = account_create(
        actor=None, system=system, user_id="k123456", person=world.people["jinji_clerk"], valid_from=START
    )
    assert account.user_id == "k123456"


@pytest.mark.clause("A14")
def test_pattern_changes_are_checked_and_only_for_the_configurator(world, configurator):
    system = world.system("JINJI", "人事給与システム")
    with pytest.raises(RuleViolation) as exc:
        system_update(actor=configurator, system=system, user_id_pattern="k[0-9")
    assert exc.value.field == "user_id_pattern"
    with pytest.raises(RuleViolation) as exc:
        system_update(actor=configurator, system=system, user_id_pattern="k[0-9]{6}", user_id_example="x1")
    assert exc.value.field == "user_id_example"
    with pytest.raises(PermissionDenied):
        system_update(actor=world.users["shokuin_head"], system=system, user_id_pattern="k[0-9]{6}")
    system.refresh_from_db()
    assert system.user_id_pattern == ""
