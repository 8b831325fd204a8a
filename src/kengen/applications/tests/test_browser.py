"""A security officer's first day in a real browser (Debian's Chromium driven by Playwright):
sign in, set up the authenticator app, acknowledge the A9 duties, draft and submit a Form 1.

Needs /usr/bin/chromium (``apt-get install chromium fonts-noto-cjk``; `.ci/run` installs it).
Never ``playwright install``: no browser is downloaded.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest

from kengen import testing

pytestmark = [
    pytest.mark.skipif(not os.path.exists(testing.CHROMIUM), reason="Debian's chromium is not installed"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def browser_page(live_server):
    with testing.chromium_page(live_server.url) as page:
        yield page


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
    page.fill("#id_code", testing.totp_from_secret(secret))
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

    page.on("dialog", lambda dialog: dialog.accept())  # confirm.js asks before submitting (issue 11)
    with page.expect_navigation():
        page.locator("form[action$='/submit/'] button").click()
    app = Application.objects.get()
    assert app.status == "submitted"
    assert app.lines.get().person == world.people["jinji_clerk"]
    assert app.number in page.content()
