"""The one-time reveal of a temporary password (security review, issue 10): the token is never in a
URL that reaches an access log, and the token plus the server key never recompute the password."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kengen.credentials.models import RevealLink
from kengen.credentials.passwords import open_temporary
from kengen.credentials.services import temporary_password_issue
from kengen.credentials.tests.helpers import hold_in_kengen, personal_account, reveal_token
from kengen.notifications.models import Notification
from kengen.testing import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(world):
    core, tax = world.core()
    hold_in_kengen(world, core)
    account = personal_account(world, core, "jinji_clerk", "JINJI001", perm_system=tax)
    temporary_password_issue(actor=world.users["joho_head"], account=account)
    return account


def test_the_token_travels_only_in_the_fragment(world, issued):
    note = Notification.objects.get(clause="A8.3")
    path, _, token = note.link.partition("#")
    assert token and token not in path  # what a browser sends (and a server logs) has no token
    assert path == reverse("credentials:reveal")


def test_the_stored_token_and_the_server_key_do_not_recompute_the_password(world, issued, client):
    token = reveal_token(issued)
    link = RevealLink.objects.get()
    assert link.sealed and token not in link.sealed  # only a sealed copy, and only until revealed
    login(client, world.users["shokuin_head"])
    value = client.post(reverse("credentials:reveal"), {"token": token, "confirm": "1"}).context["value"]

    link.refresh_from_db()
    assert link.sealed == ""  # erased at the reveal: the token from the notification is now worthless
    with pytest.raises(ValueError):
        open_temporary(link.sealed, token)
    assert value not in Notification.objects.get(clause="A8.3").body


def test_a_superseded_link_loses_its_sealed_copy(world, issued):
    first = RevealLink.objects.get()
    temporary_password_issue(actor=world.users["joho_head"], account=issued)
    first.refresh_from_db()
    assert first.sealed == ""
    assert RevealLink.objects.exclude(sealed="").count() == 1


def test_smtp_is_the_default_email_backend_when_a_mail_host_is_set():
    from kengen.tests.test_security_headers import _run_settings

    assert "smtp" in _run_settings("print(settings.EMAIL_BACKEND)", KENGEN_EMAIL_HOST="mail.example.lg.jp")
    assert "console" in _run_settings("print(settings.EMAIL_BACKEND)")
    explicit = _run_settings(
        "print(settings.EMAIL_BACKEND)",
        KENGEN_EMAIL_HOST="mail.example.lg.jp",
        KENGEN_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    assert "locmem" in explicit
