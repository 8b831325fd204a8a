"""Refusals are audited (security review, issue 10), and what the auditor may do.

Decision (docs/security.md, "The auditor"): the auditor *role* is read-only — it reads everything
and changes nothing. An auditor who is also a member of staff keeps what every member of staff
may do for *themselves* (a Form 2 for their own user ID, a request to view another unit's
terminals as the viewer); the role adds no right to act for anyone else."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from kengen.audit.choices import AuditAction
from kengen.audit.models import AuditEvent
from kengen.core.exceptions import NotFound, PermissionDenied
from kengen.credentials.services import password_application_create, system_api_key_create
from kengen.credentials.tests.helpers import personal_account
from kengen.roles.services import role_designate
from kengen.testing import START, login, user_for
from kengen.viewing.services import viewing_request

pytestmark = pytest.mark.django_db


def _denied(**filters):
    return AuditEvent.objects.filter(action=AuditAction.ACCESS_DENIED, **filters)


def test_a_policy_change_by_a_non_administrator_is_refused_and_audited(world, client):
    hr = world.system("HR", "人事給与システム", owner=world.shokuin)
    login(client, world.users["jinji_clerk"])
    url = reverse("credentials:policy", args=[hr.pk])
    assert client.get(url).status_code == 200  # the catalogue is readable; the policy form is not theirs
    response = client.post(url, {"mode": "kengen", "min_length": 12})
    assert response.status_code == 403
    assert _denied(actor=world.users["jinji_clerk"]).exists()


def test_the_api_refuses_a_policy_change_by_a_non_administrator_and_audits_it(world, client):
    from kengen.users.services import api_token_create

    world.core()
    world.system("HR", "人事給与システム", owner=world.shokuin)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=world.users['joho_head'], name='t').raw}"}
    r = client.patch(
        "/api/v1/credentials/policies/HR",
        json.dumps({"min_length": 12}),
        content_type="application/json",
        **auth,
    )
    assert r.status_code in (403, 404)
    assert _denied(actor=world.users["joho_head"]).exists()


def test_the_keys_page_of_another_system_is_a_404_and_audited(world, client):
    world.core()
    hr = world.system("HR", "人事給与システム", owner=world.shokuin)
    login(client, world.users["joho_head"])  # sees the system, does not administer it
    assert client.get(reverse("credentials:keys", args=[hr.pk])).status_code == 404
    assert _denied(actor=world.users["joho_head"], target_id=str(hr.pk), new__action="api_keys").exists()


def test_a_system_key_used_against_another_system_is_refused_and_audited(world, client):
    core, _tax = world.core()
    world.system("HR", "人事給与システム", owner=world.shokuin)
    raw = system_api_key_create(actor=world.users["joho_head"], system=core, name="gw").raw
    r = client.post(
        "/api/v1/systems/HR/verify",
        json.dumps({"user_id": "X", "password": "y"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert r.status_code == 403
    assert _denied(actor_label="system-api-key").exists()


@pytest.fixture
def staff_auditor(world):
    auditor = world.users["kazei_clerk"]
    role_designate(actor=None, user=auditor, role="auditor", valid_from=START)
    return auditor


def test_an_auditor_who_is_staff_still_applies_for_their_own_password_only(world, staff_auditor):
    hr = world.system("HR", "人事給与システム", owner=world.shokuin)
    own = personal_account(world, hr, "kazei_clerk", "KAZEI001")
    other = personal_account(world, hr, "jinji_clerk", "JINJI001")

    app = password_application_create(actor=staff_auditor, account=own, reason="忘れた")
    assert app.person_id == world.people["kazei_clerk"].pk
    with pytest.raises(NotFound):  # the role reads everything but acts for nobody else
        password_application_create(actor=staff_auditor, account=other)


def test_an_auditor_who_is_staff_asks_to_view_only_as_the_viewer(world, staff_auditor):
    lending = viewing_request(actor=staff_auditor, holder_organization=world.shokuin, purpose="課税調査")
    assert lending.viewer_id == world.people["kazei_clerk"].pk
    with pytest.raises(PermissionDenied):
        viewing_request(
            actor=staff_auditor,
            holder_organization=world.shokuin,
            purpose="課税調査",
            viewer=world.people["jinji_clerk"],
        )


def test_an_auditor_without_a_staff_record_creates_nothing(world):
    auditor = user_for(None, username="kansa")
    role_designate(actor=None, user=auditor, role="auditor", valid_from=START)
    hr = world.system("HR", "人事給与システム", owner=world.shokuin)
    account = personal_account(world, hr, "jinji_clerk", "JINJI001")
    with pytest.raises(NotFound):
        password_application_create(actor=auditor, account=account)
    with pytest.raises(PermissionDenied):
        viewing_request(actor=auditor, holder_organization=world.shokuin, purpose="監査")
