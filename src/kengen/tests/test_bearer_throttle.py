"""Invalid system API keys (``kgs_…``) are throttled and their refusals aggregated in the audit
log (security review, issue 10); a valid key keeps working from the same address."""

from __future__ import annotations

import json

import pytest
import time_machine
from django.utils import timezone

from kengen.audit.choices import AuditAction
from kengen.audit.models import AuditEvent
from kengen.credentials.services import system_api_key_create
from kengen.users.choices import ThrottleKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def _verify(client, raw, ip="203.0.113.20"):
    return client.post(
        "/api/v1/systems/COKAS/verify",
        json.dumps({"user_id": "JINJI001", "password": "x"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
        REMOTE_ADDR=ip,
    )


def test_an_invalid_system_key_retried_is_refused_with_429_and_audited_once_per_refusal(
    world, client, settings, frozen
):
    settings.KENGEN_SIGN_IN_THROTTLE = {
        **settings.KENGEN_SIGN_IN_THROTTLE,
        "system_key": {"threshold": 3, "base_delay": 30, "max_delay": 900},
    }
    world.core()
    for _ in range(3):
        assert _verify(client, "kgs_stale-key-of-a-gateway").status_code == 401
    for _ in range(50):
        refused = _verify(client, "kgs_stale-key-of-a-gateway")
        assert refused.status_code == 429
    assert refused["Retry-After"] == "30"

    failed = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED, actor_label="system-api-key")
    throttled = AuditEvent.objects.filter(
        action=AuditAction.LOGIN_THROTTLED, new__kind=ThrottleKind.SYSTEM_KEY
    )
    assert failed.count() == 1  # not 53
    assert throttled.count() == 1 and throttled.get().new["failures"] == 3


def test_many_invalid_keys_from_one_address_are_throttled_but_the_valid_key_still_works(
    world, client, settings, frozen
):
    settings.KENGEN_SIGN_IN_THROTTLE = {
        **settings.KENGEN_SIGN_IN_THROTTLE,
        "syskey_ip": {"threshold": 4, "base_delay": 30, "max_delay": 900},
    }
    core, _tax = world.core()
    good = system_api_key_create(actor=world.users["joho_head"], system=core, name="gateway").raw
    for i in range(4):
        assert _verify(client, f"kgs_{i}-guess").status_code == 401
    assert _verify(client, "kgs_9-guess").status_code == 429
    # the system behind the same address is authenticated (409: this system holds its own passwords)
    assert _verify(client, good).status_code not in (401, 429)
    assert (
        AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED, actor_label="system-api-key").count() == 4
    )
