"""Fixtures shared by the personnel tests and the HR wave's (``hrwave/tests/conftest.py`` imports
them): a personnel records officer, and grants of each basis on the test world."""

from __future__ import annotations

import datetime as dt

import pytest

from kengen.applications.services import (
    LineSpec,
    application_create,
    application_register,
    application_submit,
)
from kengen.eligibility.services import eligibility_entry_create
from kengen.grants.services import grant_direct
from kengen.roles.choices import DesignatedRoleKind
from kengen.roles.services import role_designate
from kengen.testing import START, staff, user_for

GRANTED = dt.date(2024, 5, 1)


@pytest.fixture
def hr(world):
    """A personnel records officer (人事担当) in 人事係."""
    user = user_for(staff(world.jinji, family="人事", given="担当"), username="hr")
    role_designate(actor=None, user=user, role=DesignatedRoleKind.PERSONNEL, valid_from=START)
    return user


@pytest.fixture
def grants(world):
    """COKAS-R/ADⅡ (owned by 情報システム課), 別表第2 = 職員課; 人事係's clerk holds one direct grant
    on 個人住民税 and one Form 1 grant on 人事給与システム applied for by 職員課."""
    core, tax = world.core()
    eligibility_entry_create(actor=None, organization=world.shokuin, valid_from=START)
    clerk = world.people["jinji_clerk"]
    (direct,) = grant_direct(
        actor=world.users["joho_head"],
        person=clerk,
        permissions=[tax.permissions.get(code="inquiry")],
        valid_from=GRANTED,
    )
    jinji_sys = world.system("JINJI", "人事給与システム", owner=world.shokuin)
    app = application_create(
        actor=world.users["shokuin_head"],
        organization=world.shokuin,
        system=jinji_sys,
        lines=[
            LineSpec(
                person=clerk,
                system=jinji_sys,
                permissions=[jinji_sys.permissions.get(code="update")],
                valid_from=GRANTED,
            )
        ],
        reason="人事事務のため",
        today=GRANTED,
    )
    application_submit(actor=world.users["shokuin_head"], application=app)
    result = application_register(actor=world.users["shokuin_head"], application=app)
    (form1,) = result.grants
    return {"core": core, "tax": tax, "direct": direct, "form1": form1, "jinji_sys": jinji_sys}
