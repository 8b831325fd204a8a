"""The Content-Security-Policy in a real browser (Debian's Chromium via Playwright): the pages,
htmx's live search, the passkey scripts and Swagger UI run without a single violation.

Needs /usr/bin/chromium; never ``playwright install``."""

from __future__ import annotations

import os

import pytest

from kengen import testing

pytestmark = [
    pytest.mark.skipif(not os.path.exists(testing.CHROMIUM), reason="Debian's chromium is not installed"),
    pytest.mark.django_db(transaction=True),
]

_WATCH = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', e => {
  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


def test_no_page_violates_the_content_security_policy(world, live_server):
    from kengen.testing import TEST_PASSWORD

    with testing.chromium_page(live_server.url, init_script=_WATCH) as page:
        console = []
        page.on("console", lambda m: console.append(m.text))
        page.goto("/login/")
        page.fill("#id_username", "jinji-clerk")
        page.fill("#id_password", TEST_PASSWORD)
        page.locator("form button[type=submit]").last.click()
        page.goto("/")
        if page.locator("#id_agree").count():
            page.check("#id_agree")
            page.locator("form button[type=submit]").last.click()
        violations = []
        for url in ("/", "/people/", "/organizations/", "/me/security/", "/api/v1/docs"):
            page.goto(url)
            if url == "/people/" and page.locator("#id_q").count():
                page.fill("#id_q", "田中")  # htmx live search
                page.wait_for_timeout(800)
            if url == "/api/v1/docs":
                page.wait_for_selector("#swagger-ui .information-container")
            violations += page.evaluate("window.__cspViolations")
    assert violations == []
    assert not [m for m in console if "Content Security Policy" in m]


def test_the_reveal_link_works_in_a_browser_without_the_token_reaching_the_server_in_a_url(
    world, live_server, client
):
    """The notification's link ``/credentials/reveal/#token``: the script posts the token, the
    officer confirms, the password is shown once; no request line carries the token."""
    from kengen.credentials.services import temporary_password_issue
    from kengen.credentials.tests.helpers import hold_in_kengen, personal_account, reveal_token
    from kengen.notifications.models import Notification
    from kengen.testing import login

    core, tax = world.core()
    hold_in_kengen(world, core)
    account = personal_account(world, core, "jinji_clerk", "JINJI001", perm_system=tax)
    temporary_password_issue(actor=world.users["joho_head"], account=account)
    token = reveal_token(account)
    link = Notification.objects.get(clause="A8.3").link
    login(client, world.users["shokuin_head"])  # a finished sign-in (second factor passed)
    session = client.cookies["sessionid"].value

    with testing.chromium_page(live_server.url, init_script=_WATCH) as page:
        page.context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
        urls: list[str] = []
        page.on("request", lambda r: urls.append(r.url))
        page.goto(link)
        page.wait_for_selector("input[name=confirm]", state="attached")
        assert "#" not in page.url  # the fragment is gone from the address bar and history
        page.locator("form:has(input[name=confirm]) button[type=submit]").click()
        page.wait_for_selector("text=JINJI001")
        body = page.content()
        violations = page.evaluate("window.__cspViolations")
    assert not any(token in u for u in urls)
    from kengen.credentials.models import RevealLink

    assert RevealLink.objects.get().used_at is not None
    assert violations == []
    assert "JINJI001" in body
