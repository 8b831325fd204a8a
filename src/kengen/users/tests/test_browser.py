"""API tokens and systems' API keys in a real browser (Debian's Chromium through Playwright): a
user with a role creates a personal API token, copies it from the one page that shows it, calls the
API with it and revokes it (answering the confirmation), after which the API refuses it; a system's
administrator does the same with a key for the system's sign-in checks. The secret is on exactly
one page and on no page after it, nor in the audit log. Every journey page is checked with axe-core
(no serious or critical violation).

The API is called from a browser context of its own (no session cookie): only the bearer value
authenticates it.

Needs /usr/bin/chromium; never ``playwright install``."""

from __future__ import annotations

import os
from typing import Any

import pytest

from kengen import testing

pytestmark = [
    pytest.mark.skipif(not os.path.exists(testing.CHROMIUM), reason="Debian's chromium is not installed"),
    pytest.mark.django_db(transaction=True),
]


def _api(page, base_url: str) -> Any:
    """A request context sharing nothing with the signed-in page (no cookies)."""
    return page.context.browser.new_context(base_url=base_url).request


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _revoke(page, name: str, obj: Any, done: str, seen: list[str]) -> None:
    """Click 失効させる on ``name``'s row twice: the confirmation is first dismissed (``obj`` stays
    active), then accepted; the page then says ``done`` and the row shows it revoked. The page's
    dialogs must be answered ``[False, True]`` here."""
    revoke = page.get_by_role("row").filter(has_text=name).get_by_role("button", name="失効させる")
    revoke.click()
    page.wait_for_timeout(300)
    obj.refresh_from_db()
    assert obj.revoked_at is None
    revoke.click()
    page.wait_for_selector(f"text={done}")
    seen.append(page.content())
    row = page.get_by_role("row").filter(has_text=name)
    assert "失効" in row.inner_text() and row.get_by_role("button", name="失効させる").count() == 0


def _secret_appears_nowhere_else(page, secret: str, seen: list[str], paths: list[str]) -> None:
    """``secret`` is on none of the pages ``seen`` after its reveal, nor on ``paths`` opened now,
    nor in the audit log."""
    from kengen.audit.models import AuditEvent

    for path in paths:
        page.goto(path)
        seen.append(page.content())
    assert all(secret not in html for html in seen)
    assert not any(
        secret in str(values) for values in AuditEvent.objects.values_list("old", "new", "target_label")
    )


@pytest.mark.clause("A3.1")
def test_user_creates_a_token_sees_it_once_uses_it_and_revoking_it_refuses_it(world, live_server):
    from kengen.audit.choices import AuditAction
    from kengen.audit.models import AuditEvent
    from kengen.users.models import ApiToken

    officer = world.users["shokuin_head"]  # the security officer of 職員課
    found: dict[str, list[str]] = {}
    asked: list[str] = []
    seen: list[str] = []
    with testing.chromium_page(live_server.url) as page:
        testing.answer_dialogs(page, [False, True], asked)
        testing.browser_sign_in(page, live_server.url, officer)
        page.goto("/")
        page.get_by_role("link", name="APIトークン").click()
        page.wait_for_url("**/me/tokens/")
        assert page.get_by_role("cell", name="トークンはありません。").is_visible()
        found["tokens"] = testing.axe_violations(page)
        page.get_by_label("トークン名").fill("庁内連携サーバ")
        page.get_by_label("有効期間").select_option(label="30日")
        page.get_by_role("button", name="トークンを作成").click()

        # The one page that shows it.
        page.wait_for_selector("h1:text('トークンを作成しました')")
        assert page.get_by_text("このトークンを今すぐコピーしてください。再び表示されません。").is_visible()
        secret = page.locator("#raw-token").inner_text().strip()
        token = ApiToken.objects.get(user=officer)
        assert secret.startswith(token.prefix) and len(secret) > len(token.prefix) + 20
        assert token.name == "庁内連携サーバ" and token.revoked_at is None and token.expires_at is not None
        found["created"] = testing.axe_violations(page)

        # Used from another system: who the caller is, with the officer's role.
        api = _api(page, live_server.url)
        me = api.get("/api/v1/me", headers=_bearer(secret))
        assert me.status == 200, me.text()
        assert me.json()["username"] == "shokuin-head"
        assert [r["role"] for r in me.json()["roles"]] == ["security_officer"]
        assert api.get("/api/v1/applications", headers=_bearer(secret)).status == 200
        assert api.get("/api/v1/me").status == 401

        page.get_by_role("link", name="コピーしました").click()
        page.wait_for_url("**/me/tokens/")
        seen.append(page.content())
        page.go_back()  # back through the history: the reveal (never cached) is not shown again
        seen.append(page.content())
        page.goto("/me/tokens/")
        row = page.get_by_role("row").filter(has_text="庁内連携サーバ")
        assert "有効" in row.inner_text() and token.prefix in row.inner_text()
        found["listed"] = testing.axe_violations(page)

        # Revoked, after a confirmation (first dismissed: nothing happens).
        _revoke(page, "庁内連携サーバ", token, "トークン「庁内連携サーバ」を失効させました。", seen)
        found["revoked"] = testing.axe_violations(page)

        refused = api.get("/api/v1/me", headers=_bearer(secret))
        assert refused.status == 401
        assert secret not in refused.text()
        _secret_appears_nowhere_else(page, secret, seen, ["/me/tokens/", "/me/", "/", "/audit/"])

    token.refresh_from_db()
    assert token.revoked_at is not None
    assert len(asked) == 2 and "庁内連携サーバ" in asked[0] and "元に戻せません" in asked[0]
    assert set(
        AuditEvent.objects.filter(
            actor_id=officer.pk,
            target_id=str(token.pk),
            action__in=[AuditAction.API_TOKEN_CREATED, AuditAction.API_TOKEN_REVOKED],
        ).values_list("action", flat=True)
    ) == {AuditAction.API_TOKEN_CREATED, AuditAction.API_TOKEN_REVOKED}
    assert {k: v for k, v in found.items() if v} == {}


@pytest.mark.clause("A3.1")
def test_system_administrator_creates_a_key_sees_it_once_and_revokes_it(world, live_server):
    from kengen.credentials.choices import CredentialMode
    from kengen.credentials.models import SystemApiKey
    from kengen.credentials.services import credential_policy_set

    system = world.system("HR", "人事給与システム")  # 職員課's: 佐藤 一郎 administers it (A3.1)
    admin = world.users["shokuin_head"]
    credential_policy_set(actor=admin, system=system, mode=CredentialMode.KENGEN)  # Kengen checks sign-ins
    found: dict[str, list[str]] = {}
    asked: list[str] = []
    seen: list[str] = []
    with testing.chromium_page(live_server.url) as page:
        testing.answer_dialogs(page, [False, True], asked)
        testing.browser_sign_in(page, live_server.url, admin)
        page.goto("/")
        page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="パスワード").click()
        page.wait_for_url("**/credentials/")
        page.get_by_role("listitem").filter(has_text="人事給与システム").get_by_role(
            "link", name="APIキー"
        ).click()
        page.wait_for_url(f"**/credentials/systems/{system.pk}/keys/")
        assert page.get_by_role("columnheader", name="名称").is_visible()
        found["keys"] = testing.axe_violations(page)
        page.get_by_label("名称").fill("人事給与サーバ")
        page.get_by_role("button", name="キーを作成").click()

        page.wait_for_selector("text=この表示は1回限りです。再び表示されません。")
        assert page.locator("label[for=secret-value]").inner_text() == "APIキー"
        assert page.get_by_text("Argon2id").count() == 0  # a key's fingerprint is a SHA-256
        secret = page.locator("#secret-value").inner_text().strip()
        key = SystemApiKey.objects.get(system=system)
        assert secret.startswith(key.prefix) and key.name == "人事給与サーバ" and key.created_by == admin
        found["created"] = testing.axe_violations(page)

        api = _api(page, live_server.url)
        check = {"user_id": "HR999", "password": "not-a-password"}
        accepted = api.post("/api/v1/systems/HR/verify", headers=_bearer(secret), data=check)
        assert accepted.status == 200 and accepted.json()["result"] == "wrong", accepted.text()

        page.get_by_role("link", name="控えました").click()
        page.wait_for_url(f"**/credentials/systems/{system.pk}/keys/")
        seen.append(page.content())
        assert "有効" in page.get_by_role("row").filter(has_text="人事給与サーバ").inner_text()
        _revoke(page, "人事給与サーバ", key, "キー「人事給与サーバ」を失効させました。", seen)
        found["revoked"] = testing.axe_violations(page)

        assert api.post("/api/v1/systems/HR/verify", headers=_bearer(secret), data=check).status == 401
        _secret_appears_nowhere_else(
            page, secret, seen, [f"/credentials/systems/{system.pk}/keys/", "/audit/"]
        )

    key.refresh_from_db()
    assert key.revoked_at is not None
    assert len(asked) == 2 and "人事給与サーバ" in asked[0] and "HR" in asked[0]
    assert {k: v for k, v in found.items() if v} == {}
