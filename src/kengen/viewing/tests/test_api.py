"""Viewing IDs over the API: the same rules and scope as the UI."""

import pytest

from kengen.credentials.choices import VerifyResult
from kengen.credentials.services import password_verify
from kengen.users.services import api_token_create

pytestmark = pytest.mark.django_db


def _auth(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=user, name='test').raw}"}


@pytest.mark.clause("A11.1")
@pytest.mark.clause("A11.2")
@pytest.mark.clause("A11.4")
def test_ask_lend_return_through_the_api(kazei, client):
    viewer, officer = _auth(kazei.users["jinji_clerk"]), _auth(kazei.users["shiminzei_head"])
    r = client.post(
        "/api/v1/viewing/lendings",
        {"holder_organization_id": kazei.kazei.pk, "purpose": "照会"},
        content_type="application/json",
        **viewer,
    )
    assert r.status_code == 201, r.content
    lending = r.json()
    other = _auth(kazei.users["shokuin_head"])
    assert (
        client.post(
            f"/api/v1/viewing/lendings/{lending['id']}/lend",
            {"account_id": kazei.view1.pk},
            content_type="application/json",
            **other,
        ).status_code
        == 404
    )
    r = client.post(
        f"/api/v1/viewing/lendings/{lending['id']}/lend",
        {"account_id": kazei.view1.pk},
        content_type="application/json",
        **officer,
    )
    assert r.status_code == 200, r.content
    password = r.json()["password"]
    assert r.json()["lending"]["status"] == "lent" and r.json()["lending"]["user_id"] == "VIEW01"
    assert (
        password_verify(system=kazei.core_system, user_id="VIEW01", password=password).result
        == VerifyResult.VALID
    )
    again = client.post(
        "/api/v1/viewing/lendings",
        {"holder_organization_id": kazei.kazei.pk, "purpose": "再照会"},
        content_type="application/json",
        **viewer,
    ).json()
    r = client.post(
        f"/api/v1/viewing/lendings/{again['id']}/lend",
        {"account_id": kazei.view1.pk},
        content_type="application/json",
        **officer,
    )
    assert r.status_code == 409  # lent out already
    assert (
        client.post(f"/api/v1/viewing/lendings/{lending['id']}/return", **officer).json()["status"]
        == "returned"
    )
    assert (
        password_verify(system=kazei.core_system, user_id="VIEW01", password=password).result
        != VerifyResult.VALID
    )
    listed = client.get("/api/v1/viewing/lendings", **officer).json()["items"]
    assert {item["id"] for item in listed} == {lending["id"], again["id"]}
    assert password.encode() not in client.get("/api/v1/viewing/lendings", **officer).content


@pytest.mark.clause("A11.1")
def test_same_division_is_refused_with_422(kazei, client):
    r = client.post(
        "/api/v1/viewing/lendings",
        {"holder_organization_id": kazei.kazei.pk, "purpose": "照会"},
        content_type="application/json",
        **_auth(kazei.users["kazei_clerk"]),
    )
    assert r.status_code == 422 and r.json()["clause"] == "A11.1"


def test_viewing_ids_api(kazei, client):
    r = client.get("/api/v1/viewing/ids", **_auth(kazei.users["shiminzei_head"]))
    assert sorted(i["user_id"] for i in r.json()) == ["VIEW01", "VIEW02"]
    assert client.get("/api/v1/viewing/ids", **_auth(kazei.users["shokuin_head"])).json() == []
    body = {
        "system": "COKAS",
        "user_id": "VIEW09",
        "holder_organization_id": kazei.kazei.pk,
        "permissions": ["inquiry"],
        "valid_from": "2024-04-01",
    }
    assert (
        client.post(
            "/api/v1/viewing/ids",
            body,
            content_type="application/json",
            **_auth(kazei.users["shiminzei_head"]),
        ).status_code
        == 403
    )
    r = client.post(
        "/api/v1/viewing/ids", body, content_type="application/json", **_auth(kazei.users["joho_head"])
    )
    assert r.status_code == 201, r.content
    assert client.get("/api/v1/viewing/lendings").status_code == 401
