"""Kengen's own sign-in password (issue 11): self-service change under the A8.6 strength rules,
and a reset by the configuration administrator that issues a temporary password to be changed at
the next sign-in — audited, the password never in the audit log or the logs."""

from __future__ import annotations

import json
import logging

import pytest
from django.urls import reverse

from kengen.audit.models import AuditEvent
from kengen.core.exceptions import PermissionDenied, RuleViolation
from kengen.roles.choices import DesignatedRoleKind
from kengen.roles.services import role_designate
from kengen.testing import START, TEST_PASSWORD, login, user_for
from kengen.users.models import User
from kengen.users.services import user_password_change, user_password_reset

pytestmark = pytest.mark.django_db
GOOD = "みずうみ の ほとり で 朝ごはん"


@pytest.fixture
def conf(world):
    user = user_for(None, username="conf")
    role_designate(actor=None, user=user, role=DesignatedRoleKind.CONFIGURATOR, valid_from=START)
    return user


def _events_text() -> str:
    return json.dumps(
        list(AuditEvent.objects.values("old", "new", "target_label")), ensure_ascii=False, default=str
    )


@pytest.mark.clause("A8.6")
def test_own_password_change_needs_the_current_one_and_a_strong_new_one(world):
    user = world.users["jinji_clerk"]
    with pytest.raises(RuleViolation) as wrong:
        user_password_change(user=user, current="not it", new=GOOD)
    assert wrong.value.field == "current"
    for weak in ("password1234", "jinji-clerk2024!", "田中花子はいつも元気です", "abcabcabcabc"):
        with pytest.raises(RuleViolation) as refused:
            user_password_change(user=user, current=TEST_PASSWORD, new=weak)
        assert refused.value.clause == "A8.6", weak
    user_password_change(user=user, current=TEST_PASSWORD, new=GOOD)
    user.refresh_from_db()
    assert user.check_password(GOOD)
    assert AuditEvent.objects.filter(action="user.password_changed", target_id=str(user.pk)).exists()
    assert GOOD not in _events_text()


@pytest.mark.clause("A8.6")
def test_reset_issues_a_temporary_password_only_for_the_configurator_audited_without_the_secret(
    world, conf, caplog
):
    target = world.users["jinji_clerk"]
    with pytest.raises(PermissionDenied):
        user_password_reset(actor=world.users["shokuin_head"], user=target)
    with caplog.at_level(logging.DEBUG):
        done = user_password_reset(actor=conf, user=target)
    target.refresh_from_db()
    assert target.must_change_password and target.check_password(done.password)
    assert not target.check_password(TEST_PASSWORD)
    event = AuditEvent.objects.get(action="user.password_reset", target_id=str(target.pk))
    assert event.actor_id == conf.pk
    assert done.password not in _events_text()
    assert done.password not in caplog.text
    assert done.password not in repr(done)
    # The forced change clears the flag.
    user_password_change(user=target, current=done.password, new=GOOD)
    target.refresh_from_db()
    assert not target.must_change_password


def test_after_a_reset_every_page_leads_to_the_password_change(client, world, conf):
    target = world.users["jinji_clerk"]
    done = user_password_reset(actor=conf, user=target)
    user = User.objects.get(pk=target.pk)
    client.force_login(user)
    login(client, user)
    response = client.get(reverse("people:list"))
    assert response.status_code == 302 and response["Location"] == reverse("users:password_change")
    page = client.get(reverse("users:password_change"))
    assert page.status_code == 200 and "novalidate" in page.content.decode()
    changed = client.post(
        reverse("users:password_change"), {"current": done.password, "new": GOOD, "again": GOOD}
    )
    assert changed.status_code == 302
    assert client.get(reverse("users:me")).status_code == 200  # still signed in, now free to go


def test_reset_page_is_for_the_configurator_only_and_shows_the_password_once(client, world, conf):
    login(client, world.users["shokuin_head"])
    assert client.get(reverse("users:password_reset_list")).status_code == 404
    client.logout()
    login(client, conf)
    listing = client.get(reverse("users:password_reset_list"), {"q": "jinji"})
    assert "jinji-clerk" in listing.content.decode()
    target = world.users["jinji_clerk"]
    shown = client.post(reverse("users:password_reset", args=[target.pk]))
    assert shown.status_code == 200
    assert "no-store" in shown["Cache-Control"]
    html = shown.content.decode()
    start = html.index('id="temporary-password">') + len('id="temporary-password">')
    password = html[start : html.index("<", start)]
    target.refresh_from_db()
    assert target.check_password(password)


def test_sign_in_page_points_to_the_configuration_administrator(client):
    page = client.get(reverse("users:login")).content.decode()
    assert "security officer" not in page and "情報セキュリティ責任者に" not in page
