"""The enrolment API (A6.4): the same scope and rules as the pages."""

import datetime as dt

import pytest
from django.utils import timezone

from kengen.terminals.services import enrolment_open
from kengen.users.services import api_token_create

pytestmark = pytest.mark.django_db
JSON = "application/json"


def _auth(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=user, name='test').raw}"}


def test_enrolment_api_needs_a_token(client, world, enrolment):
    assert client.get("/api/v1/enrolments").status_code == 401
    assert (
        client.post(f"/api/v1/enrolments/{enrolment.pk}/complete", {}, content_type=JSON).status_code == 401
    )


@pytest.mark.clause("A6.4")
@pytest.mark.clause("A4")
def test_enrolment_list_is_restricted_and_filters_pending(client, world, enrolment):
    enrolment_open(actor=None, person=world.people["kazei_clerk"])
    admin = client.get("/api/v1/enrolments", **_auth(world.users["joho_head"])).json()
    assert admin["count"] == 2
    officer = client.get(
        "/api/v1/enrolments", {"pending": "true"}, **_auth(world.users["shokuin_head"])
    ).json()
    assert [e["name"] for e in officer["items"]] == ["田中 花子"]
    done = client.get("/api/v1/enrolments", {"pending": "false"}, **_auth(world.users["joho_head"])).json()
    assert done["count"] == 0


@pytest.mark.clause("A6.4")
def test_two_factor_administrator_schedules_and_completes_through_the_api(client, world, enrolment):
    admin = _auth(world.users["joho_head"])
    url = f"/api/v1/enrolments/{enrolment.pk}"
    r = client.post(f"{url}/complete", {}, content_type=JSON, **admin)
    assert r.status_code == 422 and r.json()["clause"] == "A6.4"  # no place designated yet
    r = client.post(
        f"{url}/schedule",
        {"place": "本庁舎", "appointment_at": "2026-12-01T10:00:00"},
        content_type=JSON,
        **admin,
    )
    assert r.status_code == 200, r.content
    assert r.json()["place"] == "本庁舎" and r.json()["appointment_at"].startswith(
        "2026-12-01T10:00:00+09:00"
    )
    later = (timezone.now() + dt.timedelta(hours=1)).isoformat()
    r = client.post(f"{url}/complete", {"completed_at": later}, content_type=JSON, **admin)
    assert r.status_code == 422 and r.json()["clause"] == "A6.4"  # not a time still to come
    done = (timezone.now() - dt.timedelta(minutes=5)).isoformat()
    r = client.post(f"{url}/complete", {"completed_at": done}, content_type=JSON, **admin)
    assert r.status_code == 200 and r.json()["pending"] is False
    assert client.post(f"{url}/complete", {}, content_type=JSON, **admin).status_code == 409


@pytest.mark.clause("A6.4")
def test_others_cannot_schedule(client, world, enrolment):
    url = f"/api/v1/enrolments/{enrolment.pk}/schedule"
    body = {"place": "本庁舎", "appointment_at": "2026-12-01T10:00:00"}
    assert client.post(url, body, content_type=JSON, **_auth(world.users["shokuin_head"])).status_code == 403
    assert client.post(url, body, content_type=JSON, **_auth(world.users["jinji_clerk"])).status_code == 403
    assert (
        client.post(url, body, content_type=JSON, **_auth(world.users["shiminzei_head"])).status_code == 404
    )
