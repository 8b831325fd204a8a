import pytest

from kengen.audit.choices import AuditAction
from kengen.audit.models import AuditEvent
from kengen.testing import login
from kengen.users.services import api_token_create

pytestmark = pytest.mark.django_db


def _auth(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=user, name='test').raw}"}


@pytest.mark.clause("A4")
def test_security_officer_gets_404_for_another_organizations_person_through_the_api(world, client):
    other = world.people["kazei_clerk"]  # 市民税課, not the 職員課 head's organization
    response = client.get(f"/api/v1/people/{other.pk}", **_auth(world.users["shokuin_head"]))
    assert response.status_code == 404
    assert "伊藤" not in response.content.decode()
    denied = AuditEvent.objects.filter(action=AuditAction.ACCESS_DENIED, target_id=str(other.pk)).get()
    assert denied.actor == world.users["shokuin_head"]


@pytest.mark.clause("A4")
def test_security_officer_reads_own_organizations_person_through_the_api(world, client):
    own = world.people["jinji_clerk"]  # 職員課 > 人事係: below the officer's unit
    response = client.get(f"/api/v1/people/{own.pk}", **_auth(world.users["shokuin_head"]))
    assert response.status_code == 200
    body = response.json()
    assert body["family_name"] == "田中"
    assert body["assignments"][0]["organization"] == "総務部職員課人事係"


@pytest.mark.clause("A4")
def test_people_list_holds_only_the_officers_people(world, client):
    response = client.get("/api/v1/people?limit=100", **_auth(world.users["shokuin_head"]))
    names = {p["family_name"] for p in response.json()["items"]}
    assert names == {"佐藤", "田中"}


def test_unit_member_without_role_sees_only_themself(world, client):
    response = client.get("/api/v1/people", **_auth(world.users["jinji_clerk"]))
    assert [p["family_name"] for p in response.json()["items"]] == ["田中"]


def test_api_refuses_requests_without_a_valid_token(world, client):
    assert client.get("/api/v1/people").status_code == 401
    bad = client.get("/api/v1/people", HTTP_AUTHORIZATION="Bearer kgn_not-a-real-token")
    assert bad.status_code == 401
    failed = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED).latest("seq")
    assert "not-a-real-token" not in failed.target_label


def test_browser_session_can_read_the_api(world, client):
    login(client, world.users["shokuin_head"])
    assert client.get("/api/v1/me").json()["roles"][0]["role"] == "security_officer"


def test_openapi_document_is_served():
    from django.test import Client

    doc = Client().get("/api/v1/openapi.json").json()
    assert "/api/v1/grants" in doc["paths"]
    assert "/api/v1/people/{person_id}" in doc["paths"]
