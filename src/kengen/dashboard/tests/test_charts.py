"""The home page's charts: inline SVG drawn on the server, no external asset, restricted counts."""

import datetime as dt

import pytest
from django.utils import timezone, translation

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


def test_ages_are_counted_in_calendar_days_so_the_charts_depend_on_the_date_alone(world):
    """A password changed at 23:59 thirty-one days before is 31 days old all day, whatever the time
    (not 30 × 24 hours and some): the home page's body is kept per date (issue 10)."""
    from kengen.credentials.models import Credential
    from kengen.dashboard.charts import dashboard_charts

    system = world.system("JUKI", "住基照会")
    account = account_create(
        actor=None, system=system, user_id="u1", person=world.people["kazei_clerk"], valid_from=START
    )
    day = dt.date(2026, 6, 1)
    late = timezone.make_aware(dt.datetime.combine(day - dt.timedelta(days=31), dt.time(23, 59)))
    Credential.objects.create(account=account, verifier="argon2$x", changed_at=late)

    def passwords(today: dt.date) -> str:
        with translation.override("en"):
            charts = dashboard_charts(world.users["shokuin_head"], today=today)
        return str(next(c for c in charts if c.key == "passwords").svg)

    assert "Up to 30 days: 0; 31–90 days: 1;" in passwords(day)
    assert "Up to 30 days: 1; 31–90 days: 0;" in passwords(day - dt.timedelta(days=1))
