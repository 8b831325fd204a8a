"""A security officer's first day in a real browser (Debian's Chromium driven by Playwright):
sign in, set up the authenticator app, acknowledge the A9 duties, draft and submit a Form 1.

Needs /usr/bin/chromium (``apt-get install chromium fonts-noto-cjk``; `.ci/run` installs it).
Never ``playwright install``: no browser is downloaded.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def browser_page(live_server):
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        context = browser.new_context(locale="ja-JP", base_url=live_server.url)
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        context.close()
        browser.close()


def _totp(secret: str) -> str:
    from django_otp.oath import totp

    key = base64.b32decode(secret.replace(" ", "").upper() + "=" * (-len(secret.replace(" ", "")) % 8))
    return f"{totp(key):06d}"


@pytest.mark.clause("A5.1")
@pytest.mark.clause("A5.2")
@pytest.mark.clause("A9.2")
def test_officer_signs_in_sets_up_mfa_acknowledges_and_submits_a_form1(world, browser_page):
    from kengen.applications.models import Application
    from kengen.testing import TEST_PASSWORD

    _core, tax = world.core()
    page = browser_page
    page.goto("/login/")
    page.fill("#id_username", "shokuin-head")
    page.fill("#id_password", TEST_PASSWORD)
    page.locator("form button[type=submit]").last.click()

    page.goto("/me/security/authenticator/")  # no factor yet: this is where officers must start
    secret = page.locator("output.kg-secret").inner_text()
    page.fill("#id_code", _totp(secret))
    page.locator("form:has(#id_code) button[type=submit]").click()
    page.locator("a.kg-button").first.click()  # "I have kept them safe" (recovery codes shown once)

    page.goto("/")
    if page.locator("#id_agree").count():  # A9: acknowledge the duties before anything else
        page.check("#id_agree")
        page.locator("form button[type=submit]").last.click()
    page.goto("/")
    assert "佐藤 一郎" in page.content()

    page.goto(f"/applications/new/?system={tax.pk}")
    page.get_by_label("田中 花子", exact=False).check()
    page.locator("input[name=permissions]").first.check()
    page.fill("#id_valid_from", dt.date(2024, 5, 1).isoformat())
    page.fill("#id_reason", "窓口業務の担当替えのため")
    page.locator("form.kg-form button[type=submit]").first.click()
    page.wait_for_url("**/applications/*/")
    assert Application.objects.get().status == "draft"

    page.locator("form[action$='/submit/'] button").click()
    page.wait_for_load_state()
    app = Application.objects.get()
    assert app.status == "submitted"
    assert app.lines.get().person == world.people["jinji_clerk"]
    assert app.number in page.content()
