"""The Form 1 API: the same rules as the UI, with 404 / 409 / 422 as the issue defines them."""

import datetime as dt
import os
import threading

import pytest
from django.db import connection

from kengen.applications.choices import ApplicationStatus
from kengen.applications.models import Application
from kengen.grants.models import Grant
from kengen.people.choices import EmploymentType
from kengen.testing import START, staff
from kengen.users.services import api_token_create

pytestmark = pytest.mark.django_db


def _auth(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=user, name='test').raw}"}


def _body(world, person, **overrides):
    body = {
        "organization_id": world.shokuin.pk,
        "system": "COKAS",
        "lines": [
            {
                "person_id": person.pk,
                "system": "CK-TAX",
                "permissions": ["inquiry", "update"],
                "valid_from": "2024-05-01",
            }
        ],
        "reason": "異動に伴う",
    }
    body.update(overrides)
    return body


@pytest.fixture
def officer(world):
    world.core()
    return _auth(world.users["shokuin_head"])


@pytest.mark.clause("A5.2")
@pytest.mark.clause("A5.4")
def test_officer_applies_and_administrator_registers_through_the_api(world, client, officer):
    r = client.post(
        "/api/v1/applications",
        _body(world, world.people["jinji_clerk"]),
        content_type="application/json",
        **officer,
    )
    assert r.status_code == 201, r.content
    app = r.json()
    assert app["status"] == "draft" and app["route"] == "core"
    assert client.post(f"/api/v1/applications/{app['id']}/submit", **officer).json()["status"] == "submitted"
    admin = _auth(world.users["joho_head"])
    r = client.post(
        f"/api/v1/applications/{app['id']}/register",
        {"user_ids": {}},
        content_type="application/json",
        **admin,
    )
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "registered"
    assert Grant.objects.filter(basis_reference=app["number"]).count() == 2
    again = client.post(
        f"/api/v1/applications/{app['id']}/register", {}, content_type="application/json", **admin
    )
    assert again.status_code == 409
    pdf = client.get(f"/api/v1/applications/{app['id']}/form1.pdf", **officer)
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


@pytest.mark.clause("A4")
def test_applying_for_another_organizations_person_is_404(world, client, officer):
    r = client.post(
        "/api/v1/applications",
        _body(world, world.people["kazei_clerk"]),
        content_type="application/json",
        **officer,
    )
    assert r.status_code == 404
    assert not Application.objects.exists()


@pytest.mark.clause("A4")
def test_another_officer_cannot_see_or_submit_the_application(world, client, officer):
    app = client.post(
        "/api/v1/applications",
        _body(world, world.people["jinji_clerk"]),
        content_type="application/json",
        **officer,
    ).json()
    other = _auth(world.users["shiminzei_head"])
    assert client.get(f"/api/v1/applications/{app['id']}", **other).status_code == 404
    assert client.post(f"/api/v1/applications/{app['id']}/submit", **other).status_code == 404


@pytest.mark.clause("A5.3")
def test_rule_refusal_is_422_with_the_clause_and_a_japanese_message(world, client, officer):
    fy = staff(
        world.jinji,
        employment_type=EmploymentType.FY_PART_TIME,
        valid_from=START,
        appointment_to=dt.date(2025, 4, 1),
    )
    body = _body(world, fy)
    body["lines"][0]["valid_to"] = "2025-04-01"
    app = client.post("/api/v1/applications", body, content_type="application/json", **officer).json()
    r = client.post(f"/api/v1/applications/{app['id']}/submit", HTTP_ACCEPT_LANGUAGE="ja", **officer)
    assert r.status_code == 422
    assert r.json()["clause"] == "A5.3"
    assert "利用者情報登録申請書" in r.json()["message"]
    ok = client.post(
        f"/api/v1/applications/network-registrations/{fy.pk}",
        {"filed_on": "2024-04-01", "reference": "NW-9"},
        content_type="application/json",
        **officer,
    )
    assert ok.status_code == 201
    assert client.post(f"/api/v1/applications/{app['id']}/submit", **officer).status_code == 200


def test_unknown_permission_code_names_the_line(world, client, officer):
    body = _body(world, world.people["jinji_clerk"])
    body["lines"][0]["permissions"] = ["inquiry", "teleport"]
    r = client.post("/api/v1/applications", body, content_type="application/json", **officer)
    assert r.status_code == 422
    assert "line 1" in r.json()["message"] and "teleport" in r.json()["message"]


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="row locks are a PostgreSQL matter; SQLite serialises writers itself",
)
@pytest.mark.django_db(transaction=True)
@pytest.mark.clause("A5.4")
def test_two_administrators_registering_at_once_produce_one_registration(world):
    """Two threads (two connections) race to register the same application on PostgreSQL."""
    from kengen.applications.services import (
        LineSpec,
        application_create,
        application_register,
        application_submit,
    )
    from kengen.core.exceptions import Conflict

    assert connection.vendor == "postgresql"

    _core, tax = world.core()
    app = application_create(
        actor=world.users["shokuin_head"],
        organization=world.shokuin,
        system=tax,
        lines=[
            LineSpec(
                person=world.people["jinji_clerk"],
                system=tax,
                permissions=[tax.permissions.get(code="inquiry")],
                valid_from=dt.date(2024, 5, 1),
            )
        ],
    )
    application_submit(actor=world.users["shokuin_head"], application=app)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def register():
        from django.db import connection as conn

        try:
            barrier.wait()
            application_register(actor=world.users["joho_head"], application=app)
            outcomes.append("registered")
        except Conflict:
            outcomes.append("conflict")
        finally:
            conn.close()

    threads = [threading.Thread(target=register) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "registered"]
    assert Grant.objects.filter(basis_reference=app.number).count() == 1
    app.refresh_from_db()
    assert app.status == ApplicationStatus.REGISTERED
