"""The bodies of the signed-in lists kept per process (issue 10, ``core.kept``) are never used
after a change has committed: a change made by a service or with raw SQL to anything a page shows
is seen on the very next request; what depends on who asks, the query, the language or the date is
in the key; the CSRF token of a kept page is the request's own."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kengen.applications.services import LineSpec, application_create
from kengen.contractors.models import Contractor
from kengen.core.kept import CSRF_PLACEHOLDER
from kengen.core.versions import (
    ACKNOWLEDGEMENT_VERSION,
    DASHBOARD_VERSION,
    NOTIFICATION_VERSION,
    SCOPE_VERSION,
)
from kengen.notifications.models import Notification
from kengen.notifications.services import notification_send
from kengen.people.choices import PersonKind
from kengen.people.models import Person
from kengen.roles.models import ScopeDataVersion
from kengen.systems.models import System
from kengen.testing import build_world, login

# Committed transactions: the shared caches are bypassed inside a transaction (a test's own too).
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world():
    # A transactional test's flush removes the version rows with every other row.
    for row in (SCOPE_VERSION, ACKNOWLEDGEMENT_VERSION, NOTIFICATION_VERSION, DASHBOARD_VERSION):
        ScopeDataVersion.objects.get_or_create(id=row)
    return build_world()


def page(client: Client, name: str, **query) -> str:
    response = client.get(reverse(name), query)
    assert response.status_code == 200
    return response.content.decode()


def kept(client: Client, name: str, table: str, **query) -> str:
    """The page twice: the second answer is the first's and reads nothing from ``table``."""
    first = page(client, name, **query)
    with CaptureQueriesContext(connection) as queries:
        again = page(client, name, **query)
    # What every signed-in request reads (session, user, second factor, versions) aside.
    own = [q["sql"] for q in queries.captured_queries if not _FIXED.search(q["sql"])]
    assert table not in "\n".join(own)
    assert _without_tokens(again) == _without_tokens(first)
    return again


_FIXED = re.compile(r"django_session|users_user|otp_|roles_scopedataversion")


def _without_tokens(html: str) -> str:
    return re.sub(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+', r"\1", html)


def raw(sql: str, *params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_the_people_list_is_kept_and_a_rename_with_raw_sql_is_seen_on_the_next_request(world):
    client = Client()
    login(client, world.users["shokuin_head"])
    assert "田中 花子" in kept(client, "people:list", "people_person")

    raw("UPDATE people_person SET family_name = %s WHERE id = %s", "中村", world.people["jinji_clerk"].pk)

    html = page(client, "people:list")
    assert "中村 花子" in html and "田中 花子" not in html


def test_the_people_list_shows_a_contractor_renamed_with_raw_sql_on_the_next_request(world):
    contractor = Contractor.objects.create(name="北見電算株式会社")
    Person.objects.filter(pk=world.people["jinji_clerk"].pk).update(
        kind=PersonKind.MAINTENANCE, contractor=contractor
    )
    client = Client()
    login(client, world.users["shokuin_head"])
    assert "北見電算株式会社" in kept(client, "people:list", "contractors_contractor")

    raw("UPDATE contractors_contractor SET name = %s", "オホーツク情報株式会社")

    html = page(client, "people:list")
    assert "オホーツク情報株式会社" in html and "北見電算株式会社" not in html


def test_the_people_list_is_kept_per_user_query_and_language(world):
    shokuin, shiminzei = Client(), Client()
    login(shokuin, world.users["shokuin_head"])
    login(shiminzei, world.users["shiminzei_head"])
    assert "田中 花子" in kept(shokuin, "people:list", "people_person")
    # Another officer's people are not the first one's, though the page and the data are the same.
    theirs = kept(shiminzei, "people:list", "people_person")
    assert "伊藤 次郎" in theirs and "田中 花子" not in theirs
    # The query and the as-of date are in the key.
    assert "田中 花子" not in kept(shokuin, "people:list", "people_person", q="佐藤")
    not_employed = "この日付の任用なし"  # "Not employed on this date"
    assert not_employed not in page(shokuin, "people:list")
    assert not_employed in page(shokuin, "people:list", on="2024-03-31")  # before START
    # So is the language.
    english = shokuin.get(reverse("people:list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'lang="en"' in english and "Regular" in english
    assert "Regular" not in page(shokuin, "people:list")
    # And the htmx fragment is not the whole page.
    fragment = shokuin.get(reverse("people:list"), HTTP_HX_REQUEST="true").content.decode()
    assert fragment.startswith('<div id="people-results"') and "田中 花子" in fragment


def test_the_organization_chart_shows_a_head_renamed_or_a_unit_renamed_on_the_next_request(world):
    client = Client()
    login(client, world.users["kazei_clerk"])
    assert "佐藤 一郎" in kept(client, "organizations:tree", "people_assignment")

    raw("UPDATE people_person SET given_name = %s WHERE id = %s", "健一", world.people["shokuin_head"].pk)
    assert "佐藤 健一" in page(client, "organizations:tree")

    raw("UPDATE organizations_organization SET name = %s WHERE id = %s", "職員厚生課", world.shokuin.pk)
    assert "職員厚生課" in page(client, "organizations:tree")

    raw(
        "UPDATE people_assignment SET valid_to = valid_from WHERE person_id = %s",
        world.people["shokuin_head"].pk,
    )
    assert "佐藤 健一" not in page(client, "organizations:tree")


def test_the_systems_list_shows_a_rename_and_a_new_administrator_on_the_next_request(world):
    world.system("HR", "人事給与システム", owner=world.shokuin)
    client = Client()
    login(client, world.users["kazei_clerk"])
    html = kept(client, "systems:list", "systems_system")
    assert "人事給与システム" in html and "佐藤 一郎" in html

    raw("UPDATE systems_system SET name = %s WHERE code = 'HR'", "給与システム")
    html = page(client, "systems:list")
    assert "給与システム" in html and "人事給与システム" not in html

    raw("UPDATE people_person SET family_name = %s WHERE id = %s", "渡辺", world.people["shokuin_head"].pk)
    assert "渡辺 一郎" in page(client, "systems:list")


def test_the_systems_catalogue_is_the_same_for_everyone_so_its_page_can_be_shared(world):
    """``systems:list`` keeps one body for every user: right only while every signed-in user may
    view every system."""
    world.core()
    everyone = list(System.objects.order_by("id"))
    for user in world.users.values():
        assert list(System.objects.restrict(user, "view").order_by("id")) == everyone


def _application(world):
    tax = world.core()[1]
    return application_create(
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


def test_the_applications_list_shows_a_new_application_and_a_status_set_with_raw_sql_on_the_next_request(
    world,
):
    client = Client()
    login(client, world.users["shokuin_head"])
    assert 'scope="row"><a href="/applications/' not in kept(
        client, "applications:list", "applications_application"
    )

    application = _application(world)
    html = kept(client, "applications:list", "applications_application")
    assert application.number in html and "kg-badge--neutral" in html  # a draft

    raw("UPDATE applications_application SET number = 'R99-0001' WHERE id = %s", application.pk)
    html = page(client, "applications:list")
    assert "R99-0001" in html and application.number not in html
    application.refresh_from_db()
    # Another officer does not see it (their own key), nor does the status filter of the first.
    other = Client()
    login(other, world.users["shiminzei_head"])
    assert application.number not in page(other, "applications:list")
    assert application.number not in page(client, "applications:list", status="submitted")


def test_the_inbox_shows_a_new_or_read_notification_on_the_next_request_and_its_forms_work(world):
    clerk = world.users["jinji_clerk"]
    client = Client(enforce_csrf_checks=True)
    login(client, clerk)
    assert "件名A" not in kept(client, "notifications:inbox", "notifications_notification")

    (note,) = notification_send(recipients=[world.people["jinji_clerk"]], subject="件名A", body="本文")
    page(client, "notifications:inbox")
    html = kept(client, "notifications:inbox", "notifications_notification")
    assert "件名A" in html and CSRF_PLACEHOLDER not in html
    # The kept page's token is this request's: marking as read with it is accepted.
    token = re.search(rf'action="/inbox/{note.pk}/read/">.*?value="([^"]+)"', html, re.S)
    assert token is not None
    response = client.post(reverse("notifications:read", args=[note.pk]), {"csrfmiddlewaretoken": token[1]})
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.read_at is not None
    assert f"/inbox/{note.pk}/read/" not in page(client, "notifications:inbox")

    raw("UPDATE notifications_notification SET read_at = NULL")
    assert f"/inbox/{note.pk}/read/" in page(client, "notifications:inbox")
    Notification.objects.all().delete()
    assert "件名A" not in page(client, "notifications:inbox")
