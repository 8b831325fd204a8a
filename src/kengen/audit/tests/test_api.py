import pytest

from kengen.audit.models import AuditEvent
from kengen.roles.services import role_designate
from kengen.testing import START, user_for
from kengen.users.services import api_token_create

pytestmark = pytest.mark.django_db


def _auth(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=user, name='test').raw}"}


def test_refused_action_through_the_api_is_recorded_in_the_audit_log(world, client):
    response = client.get("/api/v1/audit/verify", **_auth(world.users["shokuin_head"]))
    assert response.status_code == 403
    event = AuditEvent.objects.filter(action="auth.access_denied").latest("seq")
    assert event.actor == world.users["shokuin_head"]
    assert event.target_label == "GET /api/v1/audit/verify"


def test_auditor_verifies_the_chain_through_the_api(world, client):
    auditor = user_for(None, username="kansa")
    role_designate(actor=None, user=auditor, role="auditor", valid_from=START)
    body = client.get("/api/v1/audit/verify", **_auth(auditor)).json()
    assert body["ok"] is True and body["checked"] == AuditEvent.objects.count()


def test_officer_sees_only_own_events_through_the_api(world, client):
    items = client.get("/api/v1/audit/events?limit=500", **_auth(world.users["shokuin_head"])).json()["items"]
    assert items and {e["actor_id"] for e in items} == {world.users["shokuin_head"].pk}
