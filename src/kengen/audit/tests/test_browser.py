"""Issue 11 in a real browser (Debian's Chromium, Playwright): an auditor reads the audit log
(list → one event in Japanese → Excel export), a security officer opens the per-person view and
types a date in the Japanese era with its live preview; axe-core finds no serious violation on
these pages.

Needs /usr/bin/chromium; never ``playwright install``."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from kengen import testing

pytestmark = [
    pytest.mark.skipif(not os.path.exists(testing.CHROMIUM), reason="Debian's chromium is not installed"),
    pytest.mark.django_db(transaction=True),
]


def sign_in_with_new_factor(page, username: str) -> None:
    """Password, then the authenticator app every role holder must set up, then A9."""
    from kengen.testing import TEST_PASSWORD

    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", TEST_PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.goto("/me/security/authenticator/")
    if page.locator("output.kg-secret").count():
        secret = page.locator("output.kg-secret").inner_text()
        page.fill("#id_code", testing.totp_from_secret(secret))
        page.locator("form:has(#id_code) button[type=submit]").click()
        page.locator("a.kg-button").first.click()  # recovery codes kept
    page.goto("/")
    if page.locator("#id_agree").count():
        page.check("#id_agree")
        page.locator("form button[type=submit]").last.click()
    page.goto("/")


def test_auditor_reads_an_event_in_japanese_and_exports_the_log(world, live_server):
    from openpyxl import load_workbook

    from kengen.audit.choices import AuditAction
    from kengen.audit.models import AuditEvent
    from kengen.audit.services import audit_record
    from kengen.roles.services import role_designate
    from kengen.testing import START

    system = world.system("HR", "人事給与システム", owner=world.joho)
    audit_record(
        actor=world.users["joho_head"],
        action=AuditAction.SYSTEM_UPDATED,
        target=system,
        old={"name": "旧人事システム", "valid_from": "2024-04-01"},
        new={"name": "人事給与システム", "valid_from": "2025-04-01"},
    )
    event = AuditEvent.objects.filter(action=AuditAction.SYSTEM_UPDATED).latest("seq")
    role_designate(actor=None, user=world.users["jinji_clerk"], role="auditor", valid_from=START)

    found: dict[str, list[str]] = {}
    with testing.chromium_page(live_server.url) as page:
        sign_in_with_new_factor(page, "jinji-clerk")
        page.goto("/audit/")
        found["/audit/"] = testing.axe_violations(page)
        page.locator(f"a[href='/audit/{event.seq}/']").first.click()
        page.wait_for_url(f"**/audit/{event.seq}/")
        found["detail"] = testing.axe_violations(page)
        text = page.locator("main").inner_text()
        assert "高橋 三郎（joho-head）" in text
        assert "旧人事システム" in text and "令和6年4月1日" in text and "令和7年4月1日" in text
        assert "systems.system" not in text and "{'" not in text
        page.locator("main a", has_text="人事給与システム").first.click()  # the object, linked
        page.wait_for_url(f"**/systems/{system.pk}/")

        page.goto("/audit/")
        with page.expect_download() as download:
            page.locator("a[href*='format=xlsx']").click()
        assert download.value.suggested_filename.startswith("監査ログ_令和")
        sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
        rows = [[c.value for c in r] for r in sheet.iter_rows()]
        assert rows[0][2] == "操作者"
        mine = next(r for r in rows[1:] if r[0] == event.seq)
        assert mine[2] == "高橋 三郎（joho-head）" and "旧人事システム → 人事給与システム" in mine[7]
    assert {k: v for k, v in found.items() if v} == {}


@pytest.mark.clause("A4")
def test_officer_opens_the_per_person_view_and_types_an_era_date(world, live_server):
    from kengen.grants.choices import GrantBasis
    from kengen.grants.services import account_create, grant_create
    from kengen.testing import START

    system = world.system("HR", "人事給与システム", owner=world.joho)
    account = account_create(
        actor=None, system=system, user_id="KAZEI001", person=world.people["kazei_clerk"], valid_from=START
    )
    grant_create(
        actor=None,
        account=account,
        permission=system.permissions.get(code="inquiry"),
        valid_from=START,
        basis=GrantBasis.INITIAL_LOAD,
    )
    found: dict[str, list[str]] = {}
    with testing.chromium_page(live_server.url) as page:
        sign_in_with_new_factor(page, "shiminzei-head")
        page.goto("/management-file/per-person/")
        found["matrix"] = testing.axe_violations(page)
        table = page.locator("table.kg-matrix").inner_text()
        assert "伊藤 次郎" in table and "KAZEI001" in table and "確認欄" in table

        # 和暦 typed as text, read back live beside the field (static era-date.js, CSP intact)
        page.fill("#id_on", "R6.4.1")
        preview = page.locator("#id_on-era")
        assert "令和6年4月1日" in preview.inner_text() and "2024年4月1日" in preview.inner_text()
        page.fill("#id_on", "令和元年5月1日")
        assert "令和元年5月1日" in preview.inner_text()
        page.fill("#id_on", "平成32年1月1日")  # after 平成 ended: refused, as the server does
        assert "読めません" in preview.inner_text()
        page.fill("#id_on", "令和6年4月1日")
        found["preview"] = testing.axe_violations(page)
        page.locator("form.kg-filter button[type=submit]").click()
        page.wait_for_load_state()
        assert "令和6年4月1日" in page.locator("h1").inner_text()
        assert page.locator("#id_on").input_value() == "令和6年4月1日"

        page.goto("/management-file/per-person/?print=1")
        found["print"] = testing.axe_violations(page)
    assert {k: v for k, v in found.items() if v} == {}
