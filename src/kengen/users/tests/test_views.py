import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from kengen.audit.choices import AuditAction
from kengen.audit.models import AuditEvent
from kengen.testing import TEST_PASSWORD, login
from kengen.users.models import ApiToken
from kengen.users.services import api_token_authenticate

pytestmark = pytest.mark.django_db


def test_login_page_is_in_japanese_by_default(client):
    response = client.get(reverse("users:login"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "ログイン" in body
    assert 'autocomplete="current-password"' in body
    assert '<label class="kg-label" for="id_username">' in body


def test_signing_in_leads_to_the_dashboard_and_is_audited(world, client):
    response = client.post(reverse("users:login"), {"username": "jinji-clerk", "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:home")
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_SUCCEEDED).exists()


def test_wrong_password_shows_the_error_summary(world, client):
    response = client.post(reverse("users:login"), {"username": "jinji-clerk", "password": "wrong"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "kg-error-summary" in body
    assert "wrong" not in body


def test_sign_out_is_a_post(world, client):
    login(client, world.users["jinji_clerk"])
    assert client.get(reverse("users:logout")).status_code == 405
    response = client.post(reverse("users:logout"))
    assert response.status_code == 302
    assert client.get(reverse("dashboard:home")).status_code == 302


def test_tokens_page_requires_sign_in(client):
    response = client.get(reverse("users:tokens"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("users:login"))


def test_my_page_shows_the_user(world, client):
    login(client, world.users["shokuin_head"])
    response = client.get(reverse("users:me"))
    assert response.status_code == 200
    assert "佐藤 一郎" in response.content.decode()


def test_new_token_is_shown_once_and_never_kept_in_the_clear(world, client):
    user = world.users["jinji_clerk"]
    login(client, user)
    response = client.post(reverse("users:tokens"), {"name": "連携テスト", "expires_in_days": "90"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    raw = response.context["raw"]
    assert raw.startswith("kgn_")
    assert raw in response.content.decode()
    assert (
        "再び表示されません" in response.content.decode() or "not be shown again" in response.content.decode()
    )
    assert api_token_authenticate(raw) == user
    assert not any(raw in str(m) for m in get_messages(response.wsgi_request))
    listing = client.get(reverse("users:tokens")).content.decode()
    assert "連携テスト" in listing
    assert raw not in listing
    assert all(raw not in str(e.new) for e in AuditEvent.objects.all())


def test_token_can_be_revoked(world, client):
    user = world.users["jinji_clerk"]
    login(client, user)
    raw = client.post(reverse("users:tokens"), {"name": "x", "expires_in_days": "30"}).context["raw"]
    token = ApiToken.objects.get(user=user)
    response = client.post(reverse("users:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    assert api_token_authenticate(raw) is None


def test_another_users_token_cannot_be_revoked(world, client):
    login(client, world.users["jinji_clerk"])
    client.post(reverse("users:tokens"), {"name": "mine", "expires_in_days": "30"})
    token = ApiToken.objects.get()
    login(client, world.users["kazei_clerk"])
    assert client.post(reverse("users:token_revoke", args=[token.pk])).status_code == 404
