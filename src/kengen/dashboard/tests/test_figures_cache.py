"""The home page's tiles and charts are kept per user across requests (issue 10) under the
dashboard data version and the scope's, and never used after a change has committed: a grant, an
application, a biometric enrolment, a credential or a validity-check decision is seen on the very
next request, whether a service or raw SQL made it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kengen.applications.services import LineSpec, application_create
from kengen.core.versions import (
    ACKNOWLEDGEMENT_VERSION,
    DASHBOARD_VERSION,
    NOTIFICATION_VERSION,
    SCOPE_VERSION,
)
from kengen.credentials.models import Credential
from kengen.grants.choices import GrantBasis
from kengen.grants.services import account_create, grant_create
from kengen.reviews.services import campaign_open
from kengen.roles.models import ScopeDataVersion
from kengen.terminals.models import BiometricEnrolment
from kengen.testing import START, build_world, login

# Committed transactions: the shared caches are bypassed inside a transaction (a test's own too).
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world():
    # A transactional test's flush removes the version rows with every other row.
    for row in (SCOPE_VERSION, ACKNOWLEDGEMENT_VERSION, NOTIFICATION_VERSION, DASHBOARD_VERSION):
        ScopeDataVersion.objects.get_or_create(id=row)
    return build_world()


def _grant(world, system, key: str, user_id: str):
    account = account_create(
        actor=None, system=system, user_id=user_id, person=world.people[key], valid_from=START
    )
    grant_create(
        actor=None,
        account=account,
        permission=system.permissions.get(code="inquiry"),
        valid_from=START,
        basis=GrantBasis.APPLICATION,
    )
    return account


def home(client: Client):
    response = client.get(reverse("dashboard:home"))
    assert response.status_code == 200
    return response


def _without_tokens(response) -> str:
    return re.sub(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+', r"\1", response.content.decode())


def tile(response, name: str) -> int | None:
    """The figure a tile of the page shows (the page itself, kept or not), ``None`` without it."""
    html = response.content.decode()
    start = html.find(f'id="tile-{name}"')
    if start < 0:
        return None
    card = html[start : html.index("</li>", start)]
    match = re.search(r'kg-card__value">(?:<a [^>]*>)?(\d+)<', card)
    assert match, card
    return int(match.group(1))


def test_the_figures_are_kept_and_a_new_grant_is_seen_on_the_next_request(world):
    system = world.system("JUKI", "住基照会")  # administered by 職員課 (its head)
    _grant(world, system, "kazei_clerk", "u1")
    client = Client()
    login(client, world.users["shokuin_head"])
    first = home(client)
    assert "住基照会: 1" in first.content.decode()
    with CaptureQueriesContext(connection) as queries:
        again = home(client)
    sql = "\n".join(q["sql"] for q in queries.captured_queries)
    for table in ("grants_grant", "applications_application", "credentials_credential", "terminals_"):
        assert table not in sql  # the figures were kept
    assert _without_tokens(again) == _without_tokens(first)  # the same page but its CSRF tokens
    assert tile(again, "grants_on_my_systems") == 1

    _grant(world, system, "jinji_clerk", "u2")

    response = home(client)
    assert "住基照会: 2" in response.content.decode()
    assert tile(response, "grants_on_my_systems") == 2


def test_a_grant_ended_with_raw_sql_is_seen_on_the_next_request(world):
    """Raw writes send no signals; the trigger still moves the version."""
    system = world.system("JUKI", "住基照会")
    _grant(world, system, "kazei_clerk", "u1")
    client = Client()
    login(client, world.users["shokuin_head"])
    home(client)
    assert tile(home(client), "grants_on_my_systems") == 1

    with connection.cursor() as cursor:
        cursor.execute("UPDATE grants_grant SET valid_to = valid_from")

    assert tile(home(client), "grants_on_my_systems") == 0


def test_a_new_draft_application_is_seen_on_the_next_request(world):
    tax = world.core()[1]
    client = Client()
    login(client, world.users["shokuin_head"])
    home(client)
    assert tile(home(client), "my_drafts") == 0

    application_create(
        actor=world.users["shokuin_head"],
        organization=world.shokuin,
        system=tax,
        lines=[
            LineSpec(
                person=world.people["jinji_clerk"],
                system=tax,
                permissions=[tax.permissions.get(code="inquiry")],
                valid_from=timezone.localdate(),
            )
        ],
        reason="窓口業務のため",
    )

    response = home(client)
    assert tile(response, "my_drafts") == 1
    assert "Up to 7 days: 1" in response.content.decode() or "7日以内: 1" in response.content.decode()


def test_a_pending_enrolment_and_its_cancellation_are_seen_on_the_next_request(world):
    client = Client()
    login(client, world.users["shokuin_head"])
    home(client)
    assert 'id="tile-my_pending_enrolment"' not in home(client).content.decode()

    BiometricEnrolment.objects.create(person=world.people["shokuin_head"])
    assert 'id="tile-my_pending_enrolment"' in home(client).content.decode()

    with connection.cursor() as cursor:
        cursor.execute("UPDATE terminals_biometricenrolment SET cancelled_at = created_at")
    assert 'id="tile-my_pending_enrolment"' not in home(client).content.decode()


def _password_chart(response) -> str:
    html = response.content.decode()
    start = html.index('id="chart-passwords-d"')
    return html[start : html.index("</desc>", start)]


def test_a_credential_change_is_seen_on_the_next_request(world):
    system = world.system("JUKI", "住基照会")
    account = _grant(world, system, "kazei_clerk", "u1")
    client = Client()
    login(client, world.users["shokuin_head"])
    home(client)
    before = _password_chart(home(client))
    assert ": 1" not in before  # no password held yet

    credential = Credential.objects.create(account=account, verifier="argon2$x", changed_at=None)
    never_set = _password_chart(home(client))
    assert never_set.endswith(": 1")  # the last bar: never set

    Credential.objects.filter(pk=credential.pk).update(changed_at=timezone.now() - dt.timedelta(days=100))
    assert _password_chart(home(client)).endswith(": 0")


def test_a_validity_check_decision_is_seen_on_the_next_request(world):
    system = world.system("JUKI", "住基照会")
    _grant(world, system, "kazei_clerk", "u1")
    today = timezone.localdate()
    campaign_open(
        actor=world.users["shokuin_head"],
        title="年次確認",
        systems=[system],
        as_of=today,
        deadline=today + dt.timedelta(days=5),
    )
    client = Client()
    login(client, world.users["shokuin_head"])
    home(client)
    assert "0 / 1" in home(client).content.decode()

    with connection.cursor() as cursor:
        cursor.execute("UPDATE reviews_reviewitem SET decision = 'keep', decided_at = CURRENT_TIMESTAMP")

    assert "1 / 1" in home(client).content.decode()


def test_the_kept_home_page_is_each_users_own(world):
    """The body is kept per user: a member of staff with no role, asking after a section head
    whose page is kept, gets their own page (their permissions, no tiles of the head's), and
    the other way round."""
    system = world.system("JUKI", "住基照会")
    _grant(world, system, "jinji_clerk", "u1")
    head, clerk = Client(), Client()
    login(head, world.users["shokuin_head"])
    login(clerk, world.users["jinji_clerk"])
    for _ in range(2):  # the second round is served from the kept bodies
        head_page, clerk_page = home(head), home(clerk)
        assert tile(head_page, "grants_on_my_systems") == 1
        assert tile(clerk_page, "grants_on_my_systems") is None
        assert tile(clerk_page, "my_grants") == 1
        assert "chart-grants" in head_page.content.decode()
        assert "chart-grants" not in clerk_page.content.decode()
        assert "田中 花子" in clerk_page.content.decode() and "田中 花子" not in head_page.content.decode()
