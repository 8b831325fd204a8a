"""Accessibility in a real browser: axe-core (vendored, ``vendor/axe-core``) finds no serious or
critical violation on the pages everyone sees first. Journey tests call ``testing.axe_violations``
on their own pages too.

Needs /usr/bin/chromium; never ``playwright install``."""

from __future__ import annotations

import os

import pytest

from kengen import testing

pytestmark = [
    pytest.mark.skipif(not os.path.exists(testing.CHROMIUM), reason="Debian's chromium is not installed"),
    pytest.mark.django_db(transaction=True),
]


def test_axe_reports_a_known_violation_so_the_check_can_fail(world, live_server):
    with testing.chromium_page(live_server.url) as page:
        page.goto("/login/")
        page.evaluate(
            "() => { const i = document.createElement('input'); i.type = 'text';"
            " document.body.appendChild(i); const im = document.createElement('img');"
            " im.src = '/static/none.png'; document.body.appendChild(im); }"
        )
        found = testing.axe_violations(page, impacts=("serious", "critical"))
    assert any(v.startswith(("label ", "image-alt ")) for v in found), found


def test_sign_in_and_first_pages_have_no_serious_violation(world, live_server):
    from kengen.testing import TEST_PASSWORD

    with testing.chromium_page(live_server.url) as page:
        page.goto("/login/")
        found = {"/login/": testing.axe_violations(page)}
        page.fill("#id_username", "jinji-clerk")
        page.fill("#id_password", TEST_PASSWORD)
        page.locator("form button[type=submit]").last.click()
        page.goto("/")
        if page.locator("#id_agree").count():
            found["agreement"] = testing.axe_violations(page)
            page.check("#id_agree")
            page.locator("form button[type=submit]").last.click()
        for url in ("/", "/people/", "/organizations/", "/me/security/"):
            page.goto(url)
            found[url] = testing.axe_violations(page)
    assert {url: v for url, v in found.items() if v} == {}
