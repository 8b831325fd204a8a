"""Audit visibility follows the objects' scope (security review, issue 10): the core administrator
reads the events about what it may see, never about another system's keys or credentials."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kengen.audit.choices import AuditAction
from kengen.audit.models import AuditEvent
from kengen.credentials.models import SystemApiKey
from kengen.credentials.services import system_api_key_create
from kengen.roles.services import role_designate
from kengen.testing import START, login, user_for
from kengen.users.services import api_token_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def hr_key(world):
    world.core()  # 情報システム課's head administers COKAS-R/ADⅡ: the core administrator
    hr = world.system("HR", "人事給与システム", owner=world.shokuin)  # 職員課's system
    key = system_api_key_create(actor=world.users["shokuin_head"], system=hr, name="gateway").key
    return key


def _event(key):
    return AuditEvent.objects.get(action=AuditAction.SYSTEM_API_KEY_CREATED, target_id=str(key.pk))


def test_the_core_administrator_does_not_read_events_about_objects_it_cannot_see(world, hr_key):
    core_admin = world.users["joho_head"]
    assert not SystemApiKey.objects.restrict(core_admin).filter(pk=hr_key.pk).exists()

    visible = AuditEvent.objects.restrict(core_admin)
    assert not visible.filter(pk=_event(hr_key).pk).exists()
    # …but it reads the events about the people it may see (all of them) and its own actions
    person = world.people["jinji_clerk"]
    assert visible.filter(target_type="people.person", target_id=str(person.pk)).exists()


def test_the_api_list_and_the_page_and_the_export_agree(world, client, hr_key):
    core_admin = world.users["joho_head"]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=core_admin, name='t').raw}"}
    events = client.get("/api/v1/audit/events?limit=1000", **auth).json()["items"]
    assert str(hr_key.pk) not in {
        e["target_id"] for e in events if e["target_type"] == "credentials.systemapikey"
    }
    assert any(e["target_type"] == "people.person" for e in events)

    login(client, core_admin)
    page = client.get(reverse("audit:list"), {"action": AuditAction.SYSTEM_API_KEY_CREATED})
    assert page.status_code == 200
    assert "gateway" not in page.content.decode() and hr_key.prefix not in page.content.decode()
    export = client.get(reverse("audit:list"), {"format": "csv"})
    assert export.status_code == 200
    body = b"".join(export.streaming_content) if export.streaming else export.content
    assert hr_key.prefix.encode() not in body
    # The export is not empty: it has what it may see (the events about people, by name).
    assert world.people["jinji_clerk"].full_name.encode() in body


def test_the_systems_own_administrator_and_the_auditor_still_read_it(world, hr_key):
    auditor = user_for(None, username="kansa")
    role_designate(actor=None, user=auditor, role="auditor", valid_from=START)
    assert AuditEvent.objects.restrict(auditor).filter(pk=_event(hr_key).pk).exists()
    assert AuditEvent.objects.restrict(world.users["shokuin_head"]).filter(pk=_event(hr_key).pk).exists()
