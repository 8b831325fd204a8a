"""Designated roles maintained in the product (A14): the configuration administrator designates and
ends the auditor, configurator and 人事担当 in the UI and the API; nobody else can; every change is
audited; roles take effect on their dates."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from kengen.audit.choices import AuditAction
from kengen.audit.models import AuditEvent
from kengen.roles.choices import DesignatedRoleKind
from kengen.roles.models import DesignatedRole
from kengen.roles.selectors import scope_for
from kengen.roles.services import role_designate
from kengen.testing import START, login, user_for
from kengen.users.services import api_token_create

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def configurator(world):
    user = user_for(None, username="conf")
    role_designate(actor=None, user=user, role=DesignatedRoleKind.CONFIGURATOR, valid_from=START)
    return user


def _bearer(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=user, name='t').raw}"}


@pytest.mark.clause("A14")
def test_configurator_designates_a_personnel_officer_in_the_ui_and_the_role_holds_from_its_date(
    client, world, configurator
):
    login(client, configurator)
    page = client.get(reverse("roles:list"))
    assert reverse("roles:designation_new") in page.content.decode()
    response = client.post(
        reverse("roles:designation_new"),
        {
            "username": "kazei-clerk",
            "role": DesignatedRoleKind.PERSONNEL,
            "valid_from": "令和7年4月1日",
            "last_day": "",
            "reason": "人事異動",
        },
    )
    assert response.status_code == 302, response.content.decode()
    d = DesignatedRole.objects.get(user=world.users["kazei_clerk"])
    assert (d.role, d.valid_from, d.valid_to, d.reason) == (
        "personnel",
        dt.date(2025, 4, 1),
        None,
        "人事異動",
    )
    clerk = world.users["kazei_clerk"]
    assert scope_for(clerk, on=dt.date(2025, 4, 1)).is_personnel
    assert not scope_for(clerk, on=dt.date(2025, 3, 31)).is_personnel
    event = AuditEvent.objects.filter(action=AuditAction.ROLE_DESIGNATED).latest("id")
    assert event.actor_id == configurator.pk


@pytest.mark.clause("A14")
def test_designation_form_says_what_is_wrong_field_by_field(client, world, configurator):
    login(client, configurator)
    response = client.post(
        reverse("roles:designation_new"),
        {
            "username": "nobody",
            "role": "security_officer",
            "valid_from": "2025-04-01",
            "last_day": "2025-03-01",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "username" in errors and "role" in errors
    assert not DesignatedRole.objects.filter(user__username="nobody").exists()
    response = client.post(
        reverse("roles:designation_new"),
        {"username": "kazei-clerk", "role": "auditor", "valid_from": "2025-04-01", "last_day": "2025-03-01"},
    )
    assert "last_day" in response.context["form"].errors
    assert not DesignatedRole.objects.filter(user=world.users["kazei_clerk"]).exists()


@pytest.mark.clause("A14")
def test_a_second_overlapping_designation_is_refused_beside_the_form(client, world, configurator):
    login(client, configurator)
    data = {"username": "conf", "role": "configurator", "valid_from": "2025-04-01", "last_day": ""}
    response = client.post(reverse("roles:designation_new"), data)
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert len(errors) == 1 and str(errors[0]) in response.content.decode()
    assert DesignatedRole.objects.filter(user=configurator).count() == 1


@pytest.mark.clause("A14")
def test_configurator_ends_a_designation_on_its_last_day(client, world, configurator):
    clerk = world.users["kazei_clerk"]
    d = role_designate(actor=None, user=clerk, role=DesignatedRoleKind.AUDITOR, valid_from=START)
    login(client, configurator)
    response = client.post(reverse("roles:designation_end", args=[d.pk]), {"last_day": "R8.3.31"})
    assert response.status_code == 302
    d.refresh_from_db()
    assert d.valid_to == dt.date(2026, 4, 1)
    assert scope_for(clerk, on=dt.date(2026, 3, 31)).is_auditor
    assert not scope_for(clerk, on=dt.date(2026, 4, 1)).is_auditor
    assert AuditEvent.objects.filter(action=AuditAction.ROLE_DESIGNATION_ENDED).exists()


@pytest.mark.clause("A14")
def test_nobody_but_the_configurator_designates(client, world):
    hr = user_for(None, username="hr")
    role_designate(actor=None, user=hr, role=DesignatedRoleKind.PERSONNEL, valid_from=START)
    target = role_designate(actor=None, user=world.users["kazei_clerk"], role="auditor", valid_from=START)
    for user in (hr, world.users["joho_head"], world.users["jinji_clerk"]):
        client.logout()
        login(client, user)
        assert reverse("roles:designation_new") not in client.get(reverse("roles:list")).content.decode()
        assert client.get(reverse("roles:designation_new")).status_code == 403
        response = client.post(
            reverse("roles:designation_new"),
            {"username": user.username, "role": "configurator", "valid_from": "2025-04-01"},
        )
        assert response.status_code == 403
        assert client.post(
            reverse("roles:designation_end", args=[target.pk]), {"last_day": "2025-04-01"}
        ).status_code in (403, 404)
        api = client.post(
            "/api/v1/configuration/roles",
            {"username": user.username, "role": "configurator", "valid_from": "2025-04-01"},
            content_type=JSON,
            **_bearer(user),
        )
        assert api.status_code == 403
    assert not DesignatedRole.objects.filter(role="configurator").exclude(user__username="conf").exists()
    target.refresh_from_db()
    assert target.valid_to is None


@pytest.mark.clause("A14")
def test_designations_through_the_api(client, world, configurator):
    headers = _bearer(configurator)
    created = client.post(
        "/api/v1/configuration/roles",
        {"username": "jinji-clerk", "role": "personnel", "valid_from": "2025-04-01", "reason": "辞令"},
        content_type=JSON,
        **headers,
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["username"], body["role"], body["valid_to"], body["person_id"]) == (
        "jinji-clerk",
        "personnel",
        None,
        world.people["jinji_clerk"].pk,
    )
    unknown = client.post(
        "/api/v1/configuration/roles",
        {"username": "nobody", "role": "personnel", "valid_from": "2025-04-01"},
        content_type=JSON,
        **headers,
    )
    assert unknown.status_code == 404 and unknown.json()["field"] == "username"
    bad_role = client.post(
        "/api/v1/configuration/roles",
        {"username": "jinji-clerk", "role": "security_officer", "valid_from": "2025-04-01"},
        content_type=JSON,
        **headers,
    )
    assert bad_role.status_code == 422 and bad_role.json()["field"] == "role"
    twice = client.post(
        "/api/v1/configuration/roles",
        {"username": "jinji-clerk", "role": "personnel", "valid_from": "2025-05-01"},
        content_type=JSON,
        **headers,
    )
    assert twice.status_code == 409
    listed = client.get("/api/v1/configuration/roles?on=2025-04-01", **headers).json()
    assert {(d["username"], d["role"]) for d in listed} == {
        ("conf", "configurator"),
        ("jinji-clerk", "personnel"),
    }
    ended = client.post(
        f"/api/v1/configuration/roles/{body['id']}/end", {"on": "2026-04-01"}, content_type=JSON, **headers
    )
    assert ended.status_code == 200 and ended.json()["valid_to"] == "2026-04-01"
    later = client.get("/api/v1/configuration/roles?on=2026-04-01", **headers).json()
    assert [d["username"] for d in later] == ["conf"]
    everything = client.get("/api/v1/configuration/roles?all=true", **headers).json()
    assert len(everything) == 2
