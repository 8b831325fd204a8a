"""The API's boundary (issue 10): every value it accepts can be stored, listed, shown and printed;
everything else is a 4xx with a clear message, never a 500."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from kengen.applications.models import Application
from kengen.applications.services import LineSpec, application_create, application_submit
from kengen.roles.services import role_designate
from kengen.systems.models import SystemPermission
from kengen.testing import START, user_for
from kengen.users.services import api_token_create

pytestmark = pytest.mark.django_db


def _auth(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=user, name='test').raw}"}


def _body(world, **line):
    return {
        "organization_id": world.shokuin.pk,
        "system": "COKAS",
        "lines": [
            {
                "person_id": world.people["jinji_clerk"].pk,
                "system": "CK-TAX",
                "permissions": ["inquiry"],
                "valid_from": "2024-05-01",
                **line,
            }
        ],
        "reason": "異動に伴う",
    }


@pytest.fixture
def officer(world):
    world.core()
    return _auth(world.users["shokuin_head"])


def _post(client, url, body, auth):
    return client.post(url, json.dumps(body), content_type="application/json", **auth)


def test_a_date_before_the_meiji_era_is_refused_and_the_list_still_answers(world, client, officer):
    r = _post(client, "/api/v1/applications", _body(world, valid_from="0001-01-01"), officer)
    assert r.status_code == 422, r.content
    assert "1868-01-25" in r.content.decode()  # the first day Kengen can show
    assert not Application.objects.exists()
    assert client.get("/api/v1/applications", **officer).status_code == 200


def test_a_date_beyond_the_last_supported_day_is_refused(world, client, officer):
    r = _post(client, "/api/v1/applications", _body(world, valid_from="9999-12-31"), officer)
    assert r.status_code == 422
    assert not Application.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/grants?on=1800-01-01",
        "/api/v1/accounts?on=0001-01-01",
        "/api/v1/organizations?on=1867-12-31",
        "/api/v1/people?on=0001-01-01",
        "/api/v1/eligibility/table?on=0001-01-01",
        "/api/v1/me?on=0001-01-01",
        "/api/v1/audit/events?since=0001-01-01T00:00:00",
    ],
)
def test_filters_before_the_meiji_era_are_a_422(world, client, officer, url):
    assert client.get(url, **officer).status_code == 422


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/applications?limit=100000000000000000000",
        "/api/v1/applications?offset=100000000000000000000",
        "/api/v1/accounts?person=100000000000000000000",
        "/api/v1/grants?system=100000000000000000000",
        "/api/v1/applications/100000000000000000000",
        "/api/v1/people/100000000000000000000",
        "/api/v1/applications?limit=1e20",
    ],
)
def test_huge_integers_in_the_query_or_path_are_a_4xx(world, client, officer, url):
    assert client.get(url, **officer).status_code in (404, 422)


def test_a_lone_surrogate_in_a_json_string_is_a_422(world, client, officer):
    raw = json.dumps(_body(world), ensure_ascii=False).replace("異動に伴う", "\\ud800")
    r = client.post("/api/v1/applications", raw, content_type="application/json", **officer)
    assert r.status_code == 422, r.content
    assert not Application.objects.exists()


@pytest.mark.parametrize("text", ["a\x00b", "x\x1by"])
def test_nul_and_control_characters_are_refused(world, client, officer, text):
    r = _post(client, "/api/v1/applications", {**_body(world), "purpose_note": text}, officer)
    assert r.status_code == 422
    assert "U+00" in r.content.decode()  # names the control character
    assert not Application.objects.exists()


def test_nul_in_a_query_parameter_is_refused(world, client, officer):
    assert client.get("/api/v1/applications?status=%00", **officer).status_code == 422
    assert client.get("/api/v1/systems/%00", **officer).status_code in (404, 422)


def test_text_longer_than_the_model_field_is_refused(world, client, officer):
    r = _post(client, "/api/v1/applications", {**_body(world), "purpose_note": "x" * 10_000}, officer)
    assert r.status_code == 422
    assert "purpose_note" in r.content.decode()
    assert not Application.objects.exists()


def test_too_many_lines_in_one_application_are_refused(world, client, officer):
    body = _body(world)
    body["lines"] = body["lines"] * 2000
    r = _post(client, "/api/v1/applications", body, officer)
    assert r.status_code == 422
    assert not Application.objects.exists()


def test_the_auditor_posting_to_register_is_refused_not_a_500(world, client):
    world.core()
    officer = world.users["shokuin_head"]
    tax = world.core_systems = None
    from kengen.systems.models import System

    tax = System.objects.get(code="CK-TAX")
    app = application_create(
        actor=officer,
        organization=world.shokuin,
        system=System.objects.get(code="COKAS"),
        lines=[
            LineSpec(
                person=world.people["jinji_clerk"],
                system=tax,
                permissions=list(SystemPermission.objects.filter(system=tax, code="inquiry")),
                action="register",
                valid_from=dt.date(2024, 5, 1),
            )
        ],
        reason="異動",
    )
    application_submit(actor=officer, application=app)
    auditor = user_for(None, username="auditor")
    role_designate(actor=None, user=auditor, role="auditor", valid_from=START)
    r = _post(client, f"/api/v1/applications/{app.pk}/register", {}, _auth(auditor))
    assert r.status_code in (403, 404), r.content
    app.refresh_from_db()
    assert app.status == "submitted"
