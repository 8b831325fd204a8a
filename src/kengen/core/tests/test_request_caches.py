"""What signed-in pages keep across requests (issue 10) is never used after a change has committed:
the acknowledgement state (A9.2) and the unread count under their data versions, the main menu
under the roles that shape it. Every change here is seen on the very next request."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kengen.acknowledgements import texts
from kengen.acknowledgements.models import Acknowledgement
from kengen.acknowledgements.services import acknowledgement_record
from kengen.core.versions import ACKNOWLEDGEMENT_VERSION, NOTIFICATION_VERSION, SCOPE_VERSION
from kengen.notifications.models import Notification
from kengen.notifications.services import notification_mark_read, notification_send
from kengen.organizations.models import Organization
from kengen.roles.choices import Role
from kengen.roles.models import ScopeDataVersion
from kengen.roles.selectors import administrators_by_system, administrators_of
from kengen.roles.services import role_designate
from kengen.testing import START, build_world, login, org, totp_device_for

# Committed transactions: the shared caches are bypassed inside a transaction (a test's own too).
pytestmark = pytest.mark.django_db(transaction=True)

TODAY = dt.date(2026, 12, 2)


@pytest.fixture
def world():
    # A transactional test's flush removes the version rows with every other row.
    for row in (SCOPE_VERSION, ACKNOWLEDGEMENT_VERSION, NOTIFICATION_VERSION):
        ScopeDataVersion.objects.get_or_create(id=row)
    return build_world()


def home(client: Client):
    return client.get(reverse("dashboard:home"))


def sql_of(queries) -> str:
    return "\n".join(q["sql"] for q in queries.captured_queries)


@pytest.mark.clause("A9.2")
def test_an_acknowledgement_is_seen_on_the_next_request(world):
    clerk = world.users["jinji_clerk"]
    client = Client()
    client.force_login(clerk)  # not acknowledged yet
    ack_url = reverse("acknowledgements:acknowledge")
    assert home(client)["Location"].startswith(ack_url)
    with CaptureQueriesContext(connection) as queries:
        assert home(client)["Location"].startswith(ack_url)
    assert "acknowledgements_acknowledgement" not in sql_of(queries)  # the state was kept

    acknowledgement_record(user=clerk, text_version=texts.CURRENT_VERSION)

    assert home(client).status_code == 200


@pytest.mark.clause("A9.2")
def test_an_acknowledgement_removed_behind_the_services_back_is_due_again_on_the_next_request(world):
    """Raw writes send no signals; the trigger still moves the version."""
    clerk = world.users["jinji_clerk"]
    client = Client()
    login(client, clerk)
    assert home(client).status_code == 200
    assert home(client).status_code == 200

    with connection.cursor() as cursor:  # the table refuses nothing here: no audit trigger on it
        cursor.execute("DELETE FROM acknowledgements_acknowledgement")
    assert not Acknowledgement.objects.exists()

    assert home(client)["Location"].startswith(reverse("acknowledgements:acknowledge"))


def test_a_new_or_read_notification_changes_the_menu_count_on_the_next_request(world):
    clerk = world.users["jinji_clerk"]
    client = Client()
    login(client, clerk)
    badge = 'class="kg-badge kg-badge--error">1<'
    assert badge not in home(client).content.decode()
    with CaptureQueriesContext(connection) as queries:
        assert badge not in home(client).content.decode()
    assert "notifications_notification" not in sql_of(queries)  # the count was kept

    (note,) = notification_send(recipients=[world.people["jinji_clerk"]], subject="s", body="b")
    assert badge in home(client).content.decode()

    notification_mark_read(user=clerk, notification_id=note.id)
    assert badge not in home(client).content.decode()

    Notification.objects.filter(pk=note.pk).update(read_at=None)  # a bulk write counts as well
    assert badge in home(client).content.decode()


@pytest.mark.clause("A3.1")
def test_the_menu_follows_a_role_change_on_the_next_request(world):
    clerk = world.users["jinji_clerk"]
    totp_device_for(clerk)  # a role needs a second factor: set up before signing in
    client = Client()
    login(client, clerk)
    people = f'href="{reverse("people:list")}"'
    assert people not in home(client).content.decode()
    assert people not in home(client).content.decode()

    role_designate(actor=None, user=clerk, role=Role.AUDITOR, valid_from=START)

    assert people in home(client).content.decode()


def test_the_menu_marks_the_page_it_is_on(world):
    client = Client()
    login(client, world.users["shokuin_head"])
    for name in ("dashboard:home", "people:list", "systems:list"):
        html = client.get(reverse(name)).content.decode()
        assert f'href="{reverse(name)}" aria-current="page"' in html
        assert html.count('aria-current="page"') == 1


def test_administrators_of_many_systems_are_those_of_each(world):
    core, business = world.core()
    other = world.system("JINJI-SYS", "人事給与システム", owner=world.shokuin)
    systems = [core, business, other]
    for s in systems:
        s.refresh_from_db()
    by_system = administrators_by_system(systems, TODAY)

    for s in systems:
        assert by_system[s.account_system.id] == list(administrators_of(s, TODAY))
    assert by_system[other.id] == [world.people["shokuin_head"]]


def test_the_organization_chart_is_the_same_for_everyone_so_it_can_be_shared(world):
    """``organizations.selectors.chart_as_of`` shares one tree between all users: that is right
    only while every signed-in user may view every unit."""
    everyone = Organization.objects.as_of(TODAY).order_by("id")
    for user in world.users.values():
        visible = Organization.objects.restrict(user, "view").as_of(TODAY).order_by("id")
        assert list(visible) == list(everyone)


def test_a_new_unit_is_on_the_chart_and_in_the_people_filter_on_the_next_request(world):
    client = Client()
    login(client, world.users["shokuin_head"])
    assert "新設係" not in client.get(reverse("organizations:tree")).content.decode()
    assert "新設係" not in client.get(reverse("organizations:tree")).content.decode()

    org("SHINSETSU", "新設係", "section", world.shokuin)

    assert "新設係" in client.get(reverse("organizations:tree")).content.decode()
    assert "新設係" in client.get(reverse("people:list")).content.decode()
