"""The home page's charts: inline SVG drawn on the server, no external asset, restricted counts."""

import datetime as dt

import pytest
from django.utils import timezone

from kengen.grants.choices import GrantBasis
from kengen.grants.services import account_create, grant_create
from kengen.reviews.services import campaign_open
from kengen.testing import START, login

pytestmark = pytest.mark.django_db


@pytest.mark.clause("A5.10")
def test_home_shows_charts_as_inline_svg_with_progress_per_section(client, world):
    system = world.system("JUKI", "住基照会")
    acct = account_create(
        actor=None, system=system, user_id="u1", person=world.people["kazei_clerk"], valid_from=START
    )
    grant_create(
        actor=None,
        account=acct,
        permission=system.permissions.get(code="inquiry"),
        valid_from=START,
        basis=GrantBasis.APPLICATION,
    )
    today = timezone.localdate()
    campaign_open(
        actor=world.users["shokuin_head"],
        title="年次確認",
        systems=[system],
        as_of=today,
        deadline=today + dt.timedelta(days=5),
    )
    login(client, world.users["shokuin_head"])
    html = client.get("/").content.decode()
    for key in ("grants", "ending", "applications", "passwords", "enrolments", "reviews"):
        assert f'id="chart-{key}"' in html
    assert "<svg" in html and "住基照会: 1" in html and "0 / 1" in html
    assert '<script src="http' not in html and '<img src="http' not in html


def test_people_without_a_role_see_no_charts(client, world):
    login(client, world.users["jinji_clerk"])
    assert "chart-grants" not in client.get("/").content.decode()
