"""``kengen role``: designating the personnel records officer (人事担当) and ending it."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from kengen.roles.models import DesignatedRole
from kengen.roles.selectors import scope_for
from kengen.testing import user_for

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.clause("A14")
def test_designate_list_and_end_the_personnel_officer(world):
    user = user_for(None, username="hr")
    assert run("role", "designate", "hr", "personnel", "--from", "令和6年4月1日").startswith("designated #")
    designation = DesignatedRole.objects.get(user=user)
    assert scope_for(user, on=dt.date(2024, 5, 1)).is_personnel
    assert f"{designation.pk}\tpersonnel\thr\t2024-04-01" in run("role", "list")
    run("role", "end", str(designation.pk), "--on", "2024-06-01")
    user.__dict__.pop("_kengen_scope_cache", None)
    assert not scope_for(user, on=dt.date(2024, 6, 1)).is_personnel
    with pytest.raises(CommandError):
        run("role", "end", str(designation.pk), "--on", "2024-06-01")
    with pytest.raises(CommandError):  # someone without the configurator role
        run("role", "designate", "hr", "auditor", "--as", "shokuin-head")
