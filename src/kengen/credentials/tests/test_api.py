"""The credentials API: the verify endpoints with a system's key, and the signed-in endpoints."""

import datetime as dt

import pytest
from django.utils import timezone

from kengen.audit.models import AuditEvent
from kengen.credentials.models import Credential, PasswordApplication
from kengen.credentials.services import system_api_key_create, temporary_password_issue
from kengen.credentials.tests.helpers import STRONG, issue_and_reveal, personal_account
from kengen.users.services import api_token_create

pytestmark = pytest.mark.django_db


def _auth(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=user, name='test').raw}"}


@pytest.fixture
def key(core):
    raw = system_api_key_create(actor=core.users["joho_head"], system=core.core_system, name="gateway").raw
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _verify(client, key, user_id, password, code="COKAS", **extra):
    return client.post(
        f"/api/v1/systems/{code}/verify",
        {"user_id": user_id, "password": password},
        content_type="application/json",
        **key,
        **extra,
    )


def test_verify_needs_the_systems_own_key(core, client, key):
    assert _verify(client, {}, "JINJI001", "x").status_code == 401
    assert _verify(client, {"HTTP_AUTHORIZATION": "Bearer kgs_not-a-key"}, "JINJI001", "x").status_code == 401
    user_token = _auth(core.users["joho_head"])  # a person's API token is not a system key
    assert _verify(client, user_token, "JINJI001", "x").status_code == 401
    hr = core.system("HR", "人事給与システム")
    assert _verify(client, key, "JINJI001", "x", code=hr.code).status_code == 403  # another system's key
    assert AuditEvent.objects.filter(action="auth.login_failed", actor_label="system-api-key").count() == 2


@pytest.mark.clause("A8.4")
def test_verify_answers_must_change_then_valid_with_permissions(core, client, key):
    value = issue_and_reveal(core, core.account)
    r = _verify(client, key, "JINJI001", value)
    assert r.status_code == 200 and r.json()["result"] == "must_change"
    r = client.post(
        "/api/v1/systems/COKAS/password",
        {"user_id": "JINJI001", "current_password": value, "new_password": STRONG},
        content_type="application/json",
        **key,
    )
    assert r.status_code == 200 and r.json()["result"] == "valid"
    body = _verify(client, key, "JINJI001", STRONG).json()
    assert body["result"] == "valid"
    assert body["permissions"] == [{"system": "CK-TAX", "code": "inquiry"}]
    assert body["user_id"] == "JINJI001" and body["expires_at"]
    wrong = _verify(client, key, "JINJI001", "not the password").json()
    assert wrong == {
        "result": "wrong",
        "user_id": "JINJI001",
        "permissions": [],
        "expires_at": None,
        "message": wrong["message"],
    }
    unknown = _verify(client, key, "NOBODY", "whatever").json()
    assert unknown["result"] == "wrong" and unknown["user_id"] is None


@pytest.mark.clause("A8.6")
def test_a_weak_new_password_is_a_422_that_does_not_echo_it(core, client, key):
    value = issue_and_reveal(core, core.account)
    weak = "JINJI001-password"
    r = client.post(
        "/api/v1/systems/COKAS/password",
        {"user_id": "JINJI001", "current_password": value, "new_password": weak},
        content_type="application/json",
        **key,
    )
    assert r.status_code == 422
    assert r.json()["clause"] == "A8.6" and r.json()["field"] == "new_password"
    assert weak.encode() not in r.content and value.encode() not in r.content


def test_verify_is_rate_limited_with_retry_after(core, client, key, settings, time_machine):
    settings.KENGEN_VERIFY_RATE_LIMITS = {"account": (2, 60), "key": (100, 60)}
    time_machine.move_to(timezone.now().replace(second=10, microsecond=0), tick=False)
    assert _verify(client, key, "JINJI001", "a").status_code == 200
    assert _verify(client, key, "JINJI001", "b").status_code == 200
    r = _verify(client, key, "JINJI001", "c")
    assert r.status_code == 429
    assert r["Retry-After"] == "50"
    assert r.json()["error"] == "TooManyRequests"
    time_machine.move_to(timezone.now().replace(second=0) + dt.timedelta(minutes=1), tick=False)
    assert _verify(client, key, "JINJI001", "d").status_code == 200  # the next window


def test_systems_that_hold_their_own_passwords_get_409(world, client):
    hr = world.system("HR", "人事給与システム")  # administered by 職員課's head
    raw = system_api_key_create(actor=world.users["shokuin_head"], system=hr, name="hr").raw
    r = _verify(client, {"HTTP_AUTHORIZATION": f"Bearer {raw}"}, "X", "y", code="HR")
    assert r.status_code == 409


@pytest.mark.clause("A8.2")
def test_issue_temporary_through_the_api_never_returns_a_system_users_value(core, client):
    admin = _auth(core.users["joho_head"])
    r = client.post(f"/api/v1/credentials/accounts/{core.account.pk}/temporary", **admin)
    assert r.status_code == 201, r.content
    assert r.json()["password"] is None
    assert r.json()["security_officer_id"] == core.people["shokuin_head"].pk
    assert r.json()["credential"]["status"] == "temporary"
    officer = _auth(core.users["shiminzei_head"])
    assert (
        client.post(f"/api/v1/credentials/accounts/{core.account.pk}/temporary", **officer).status_code == 404
    )


def test_credential_reads_are_restricted(core, client):
    temporary_password_issue(actor=core.users["joho_head"], account=core.account)
    mine = client.get("/api/v1/credentials", **_auth(core.users["jinji_clerk"])).json()
    assert [c["user_id"] for c in mine["items"]] == ["JINJI001"]
    other = client.get("/api/v1/credentials", **_auth(core.users["shiminzei_head"])).json()
    assert other["items"] == []
    assert (
        client.get(
            f"/api/v1/credentials/accounts/{core.account.pk}", **_auth(core.users["shiminzei_head"])
        ).status_code
        == 404
    )
    assert (
        client.get(
            f"/api/v1/credentials/accounts/{core.account.pk}", **_auth(core.users["shokuin_head"])
        ).status_code
        == 200
    )
    assert client.get("/api/v1/credentials").status_code == 401


def test_policy_api(core, client):
    admin = _auth(core.users["joho_head"])
    assert client.get("/api/v1/credentials/policies/COKAS", **admin).json()["mode"] == "kengen"
    r = client.patch(
        "/api/v1/credentials/policies/COKAS", {"max_age_days": 60}, content_type="application/json", **admin
    )
    assert r.status_code == 200 and r.json()["max_age_days"] == 60
    r = client.patch(
        "/api/v1/credentials/policies/COKAS",
        {"max_age_days": 60},
        content_type="application/json",
        **_auth(core.users["shokuin_head"]),
    )
    assert r.status_code == 403


def test_own_change_through_the_api(core, client):
    value = issue_and_reveal(core, core.account)
    url = f"/api/v1/credentials/accounts/{core.account.pk}/password"
    clerk = _auth(core.users["jinji_clerk"])
    r = client.post(
        url, {"current_password": "wrong", "new_password": STRONG}, content_type="application/json", **clerk
    )
    assert r.status_code == 422 and r.json()["field"] == "current_password"
    r = client.post(
        url, {"current_password": value, "new_password": STRONG}, content_type="application/json", **clerk
    )
    assert r.status_code == 200 and r.json()["status"] == "active"
    r = client.post(
        url,
        {"current_password": STRONG, "new_password": "x y z w v u t s"},
        content_type="application/json",
        **_auth(core.users["shokuin_head"]),
    )
    assert r.status_code == 404
    assert Credential.objects.get(account=core.account).failed_attempts == 0


@pytest.mark.clause("A8.1")
def test_form2_through_the_api(world, client):
    hr = world.system("HR", "人事給与システム", owner=world.joho)
    account = personal_account(world, hr, "jinji_clerk", "HR001")
    clerk = _auth(world.users["jinji_clerk"])
    r = client.post(
        "/api/v1/password-applications",
        {"account_id": account.pk, "kind": "register"},
        content_type="application/json",
        **clerk,
    )
    assert r.status_code == 201, r.content
    app = r.json()
    assert (
        client.post(f"/api/v1/password-applications/{app['id']}/submit", **clerk).json()["status"]
        == "submitted"
    )
    other = _auth(world.users["shiminzei_head"])
    assert client.get(f"/api/v1/password-applications/{app['id']}", **other).status_code == 404
    admin = _auth(world.users["joho_head"])
    r = client.post(f"/api/v1/password-applications/{app['id']}/complete", **admin)
    assert r.json()["status"] == "completed"
    pdf = client.get(f"/api/v1/password-applications/{app['id']}/form2.pdf", **clerk)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert PasswordApplication.objects.get().number == app["number"]


def test_systems_sign_in_is_answered_without_the_browser_stack(core, client, key, monkeypatch):
    """Issue 9: ``SystemSignInMiddleware`` answers verify and password changes itself, with the
    language, host and frame middleware and the headers every API answer carries; no session,
    second-factor or acknowledgement middleware runs, and a browser session counts for nothing."""
    from kengen.users.middleware import SecondFactorMiddleware, SessionSecurityMiddleware

    def not_here(self, request):
        raise AssertionError("the browser stack ran")

    monkeypatch.setattr(SessionSecurityMiddleware, "check", not_here)
    monkeypatch.setattr(SecondFactorMiddleware, "check", not_here)
    value = issue_and_reveal(core, core.account)
    english = _verify(client, key, "JINJI001", value, HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 200 and english.json()["result"] == "must_change"
    assert "no-store" in english["Cache-Control"]
    assert english["X-Frame-Options"] == "DENY"
    assert english["Content-Language"] == "en" and "Accept-Language" in english["Vary"]
    assert english["Content-Security-Policy"]
    japanese = _verify(client, key, "JINJI001", value, HTTP_ACCEPT_LANGUAGE="ja")
    assert japanese["Content-Language"] == "ja"
    assert japanese.json()["message"] != english.json()["message"]
    assert _verify(client, key, "JINJI001", value, HTTP_HOST="evil.example").status_code == 400
    client.force_login(core.users["joho_head"])  # a signed-in browser is still not a system
    assert _verify(client, {}, "JINJI001", value).status_code == 401
