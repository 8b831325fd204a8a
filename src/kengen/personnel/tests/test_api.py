"""Personnel changes over the API: preview JSON, apply, schedule, cancel; 403/404/409/422."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from kengen.eligibility.services import eligibility_entry_create
from kengen.grants.services import grant_direct
from kengen.people.models import Person
from kengen.personnel.choices import ScheduledStatus
from kengen.personnel.models import ScheduledChange
from kengen.roles.services import role_designate
from kengen.testing import START, user_for
from kengen.users.services import api_token_create

pytestmark = pytest.mark.django_db
JSON = "application/json"
NOW = dt.datetime(2024, 9, 20, 9, 0, tzinfo=dt.UTC)


def _auth(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=user, name='test').raw}"}


def _move(world, person, on="2024-09-01", **extra):
    return {
        "on": on,
        "changes": [{"kind": "move", "person": person.pk, "organization": world.kazei.pk}],
        **extra,
    }


@time_machine.travel(NOW, tick=False)
@pytest.mark.clause("A5.5")
def test_preview_returns_the_consequences_and_applying_with_the_fingerprint_records_them(client, world, hr):
    _core, tax = world.core()
    eligibility_entry_create(actor=None, organization=world.shokuin, valid_from=START)
    clerk = world.people["jinji_clerk"]
    (g,) = grant_direct(
        actor=world.users["joho_head"],
        person=clerk,
        permissions=[tax.permissions.get(code="inquiry")],
        valid_from=START,
    )
    auth = _auth(hr)
    preview = client.post(
        "/api/v1/personnel/changes?preview=true", _move(world, clerk), content_type=JSON, **auth
    )
    assert preview.status_code == 200
    body = preview.json()
    assert [d["grant"] for d in body["direct_revocations"]] == [g.pk]
    assert body["direct_revocations"][0]["clause"] == "A5.5"
    assert body["roles_gained"] == [] and body["appointment_caps"] == []
    assert (
        client.post(
            "/api/v1/personnel/changes/preview", _move(world, clerk), content_type=JSON, **auth
        ).json()["fingerprint"]
        == body["fingerprint"]
    )
    stale = client.post(
        "/api/v1/personnel/changes", _move(world, clerk, expected="0" * 32), content_type=JSON, **auth
    )
    assert stale.status_code == 409
    done = client.post(
        "/api/v1/personnel/changes",
        _move(world, clerk, expected=body["fingerprint"]),
        content_type=JSON,
        **auth,
    )
    assert done.status_code == 201 and done.json()["status"] == "applied"
    g.refresh_from_db()
    assert g.valid_to == dt.date(2024, 9, 1)


@time_machine.travel(NOW, tick=False)
@pytest.mark.clause("A2.4")
@pytest.mark.clause("A3")
def test_hire_refusals_are_422_or_409_with_clause_and_field(client, world, hr):
    auth = _auth(hr)
    hire = {
        "kind": "hire",
        "new_person": {
            "staff_number": world.people["kazei_clerk"].staff_number,
            "family_name": "新井",
            "given_name": "春子",
            "family_name_kana": "アライ",
            "given_name_kana": "ハルコ",
        },
        "employment_type": "regular",
        "organization": world.kazei.pk,
        "post": "shuji",
    }
    taken = client.post(
        "/api/v1/personnel/changes", {"on": "2024-09-01", "changes": [hire]}, content_type=JSON, **auth
    )
    assert taken.status_code == 409 and taken.json()["field"] == "staff_number"
    fy = {
        **hire,
        "new_person": {**hire["new_person"], "staff_number": "N1"},
        "employment_type": "fy_full_time",
    }
    no_end = client.post(
        "/api/v1/personnel/changes", {"on": "2024-09-01", "changes": [fy]}, content_type=JSON, **auth
    )
    assert no_end.status_code == 422 and (no_end.json()["clause"], no_end.json()["field"]) == (
        "A7",
        "appointment_to",
    )
    second_head = client.patch(
        f"/api/v1/personnel/people/{world.people['kazei_clerk'].pk}",
        {"on": "2024-09-01", "kind": "move", "organization": world.joho.pk, "post": "kacho"},
        content_type=JSON,
        **auth,
    )
    assert second_head.status_code == 409 and second_head.json()["field"] == "post"
    ok = client.post(
        "/api/v1/personnel/changes",
        {
            "on": "2024-09-01",
            "changes": [{**hire, "new_person": {**hire["new_person"], "staff_number": "N2"}}],
        },
        content_type=JSON,
        **auth,
    )
    assert ok.status_code == 201
    assert Person.objects.filter(staff_number="N2").exists()


@time_machine.travel(NOW, tick=False)
def test_a_future_patch_is_scheduled_listed_and_cancelled(client, world, hr):
    auth = _auth(hr)
    clerk = world.people["kazei_clerk"]
    response = client.patch(
        f"/api/v1/personnel/people/{clerk.pk}",
        {"on": "2025-04-01", "kind": "end", "reason": "retired"},
        content_type=JSON,
        **auth,
    )
    assert response.status_code == 201 and response.json()["status"] == "scheduled", response.json()
    assert [p["user"] for p in response.json()["consequences"]["sign_ins_to_disable"]] == [
        world.users["kazei_clerk"].pk
    ]
    listed = client.get("/api/v1/personnel/scheduled", **auth).json()["items"]
    assert [(r["person_id"], r["created_by"]) for r in listed] == [(clerk.pk, "人事 担当")]
    cancelled = client.post(f"/api/v1/personnel/scheduled/{listed[0]['id']}/cancel", **auth)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == ScheduledStatus.CANCELLED
    assert client.post(f"/api/v1/personnel/scheduled/{listed[0]['id']}/cancel", **auth).status_code == 409
    assert ScheduledChange.objects.get().status == ScheduledStatus.CANCELLED


@pytest.mark.clause("A14")
@pytest.mark.clause("A4")
def test_others_get_403_and_officers_get_404_outside_their_people(client, world, hr):
    configurator = user_for(None, username="conf")
    role_designate(actor=None, user=configurator, role="configurator", valid_from=START)
    for user in (configurator, world.users["shokuin_head"], world.users["kazei_clerk"]):
        response = client.post(
            "/api/v1/personnel/changes",
            _move(world, world.people["jinji_clerk"]),
            content_type=JSON,
            **_auth(user),
        )
        assert response.status_code == 403
    officer = _auth(world.users["shokuin_head"])
    assert client.get(f"/api/v1/people/{world.people['kazei_clerk'].pk}", **officer).status_code == 404
    assert client.get(f"/api/v1/people/{world.people['jinji_clerk'].pk}", **officer).status_code == 200
    assert (
        client.post(
            "/api/v1/personnel/changes", _move(world, world.people["jinji_clerk"]), content_type=JSON
        ).status_code
        == 401
    )


def test_the_openapi_schema_lists_the_personnel_endpoints(client, world, hr):
    schema = client.get("/api/v1/openapi.json", **_auth(hr)).json()
    assert {
        "/api/v1/personnel/changes",
        "/api/v1/personnel/changes/preview",
        "/api/v1/personnel/people/{person_id}",
    } <= set(schema["paths"])
    assert "patch" in schema["paths"]["/api/v1/personnel/people/{person_id}"]


@pytest.mark.parametrize(
    "body",
    [
        {"on": "0001-01-01", "changes": [{"kind": "end", "person": 1, "reason": "retired"}]},
        {"on": "2024-09-01", "changes": []},
        {"on": "2024-09-01", "changes": [{"kind": "end", "person": 2**70, "reason": "retired"}]},
        {"on": "2024-09-01", "changes": [{"kind": "end", "person": 1, "reason": "ret\x00ired"}]},
    ],
)
def test_out_of_bounds_input_is_a_422_and_changes_nothing(client, world, hr, body):
    response = client.post("/api/v1/personnel/changes?preview=true", body, content_type=JSON, **_auth(hr))
    assert response.status_code == 422
    assert ScheduledChange.objects.count() == 0
