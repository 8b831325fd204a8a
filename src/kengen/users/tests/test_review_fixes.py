"""Security review (issue 10): resetting a lost second factor revokes API tokens; passing the
second factor gives the session a new key."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from kengen.audit.choices import AuditAction
from kengen.audit.models import AuditEvent
from kengen.testing import TEST_PASSWORD, login, totp_code, totp_device_for
from kengen.users.models import ApiToken, UserSession
from kengen.users.services import api_token_create

pytestmark = pytest.mark.django_db


def test_mfa_reset_revokes_the_users_api_tokens(world, client):
    user = world.users["shokuin_head"]
    other = api_token_create(user=world.users["joho_head"], name="other").raw
    token = api_token_create(user=user, name="script").raw
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200

    call_command("mfa_reset", "shokuin-head")

    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    assert not ApiToken.objects.filter(user=user, revoked_at__isnull=True).exists()
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {other}").status_code == 200
    event = AuditEvent.objects.get(action=AuditAction.MFA_RESET)
    assert event.new["bearer_credentials_revoked"] == 1


def test_passing_the_second_factor_rotates_the_session_key(world, client):
    user = world.users["shokuin_head"]
    device = totp_device_for(user)
    login(client, user)
    client.post(reverse("users:logout"))

    with time_machine.travel(timezone.now() + dt.timedelta(minutes=2), tick=False):
        client.post(reverse("users:login"), {"username": "shokuin-head", "password": TEST_PASSWORD})
        before = client.session.session_key
        passed = client.post(reverse("users:mfa_verify"), {"code": totp_code(device)})
        assert passed.status_code == 302
        after = client.cookies["sessionid"].value
        assert after != before
        assert client.get(reverse("dashboard:home")).status_code == 200  # the new key is signed in
        # the tracked session follows the new key; the old key is gone from the store
        assert UserSession.objects.filter(user=user, session_key=after).exists()
        assert not UserSession.objects.filter(session_key=before).exists()
        from django.contrib.sessions.backends.db import SessionStore

        assert not SessionStore().exists(before)
