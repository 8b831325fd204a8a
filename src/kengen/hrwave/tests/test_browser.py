"""The HR wave in a real browser (Debian's Chromium via Playwright): edit the column mapping,
upload a CP932 list → preview (encoding shown, totals, per person, Excel) → apply with the
progress bar. Skipped when /usr/bin/chromium is missing; never ``playwright install``."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from kengen import testing
from kengen.hrwave.tests.conftest import hr_csv
from kengen.personnel.tests.test_browser import sign_in

pytestmark = [
    pytest.mark.skipif(not os.path.exists(testing.CHROMIUM), reason="Debian's chromium is not installed"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def browser_page(live_server):
    with testing.chromium_page(live_server.url) as page:
        yield page


@pytest.mark.clause("A5.5")
@pytest.mark.clause("A4")
def test_personnel_officer_uploads_previews_and_applies_an_hr_list(world, browser_page, tmp_path):
    from kengen.eligibility.services import eligibility_entry_create
    from kengen.grants.models import Grant
    from kengen.grants.services import grant_direct
    from kengen.hrwave.models import ColumnMapping
    from kengen.roles.choices import DesignatedRoleKind
    from kengen.roles.services import role_designate
    from kengen.testing import START, staff, user_for

    _core, tax = world.core()
    eligibility_entry_create(actor=None, organization=world.shokuin, valid_from=START)
    clerk = world.people["jinji_clerk"]
    (g,) = grant_direct(
        actor=world.users["joho_head"],
        person=clerk,
        permissions=[tax.permissions.get(code="inquiry")],
        valid_from=START,
    )
    hr = user_for(staff(world.jinji, family="人事", given="担当"), username="hr")
    role_designate(actor=None, user=hr, role=DesignatedRoleKind.PERSONNEL, valid_from=START)
    page = browser_page
    sign_in(page, "hr")

    # The mapping editor: the city's export calls the action column 異動種別.
    page.goto("/hr/mappings/new/")
    page.fill("#id_name", "北見市")
    page.fill("#id_col_action", "異動種別")
    page.locator("form.kg-form button[type=submit]").click()
    page.wait_for_url("**/hr/mappings/")
    assert ColumnMapping.objects.get(name="北見市").columns["action"] == "異動種別"

    header = ["職員番号", "所属コード", "職", "異動種別"]
    path = tmp_path / "異動.csv"
    path.write_bytes(hr_csv([[clerk.staff_number, "KAZEI", "", "異動"]], encoding="cp932", header=header))
    page.goto("/hr/")
    page.set_input_files("#id_file", str(path))
    page.fill("#id_effective_on", "2024-10-01")
    page.select_option("#id_mapping", label="北見市")
    page.locator("form.kg-form button[type=submit]").click()
    page.wait_for_url("**/hr/*/")
    assert page.locator("[data-testid=encoding]").inner_text() == "cp932"
    assert "1" in page.locator("#totals").inner_text()
    assert "A5.5" in page.locator("#lines").inner_text()
    with page.expect_download() as download:
        page.locator("a[href$='preview.xlsx']").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    g.refresh_from_db()
    assert g.valid_to is None  # the preview changed nothing

    assert page.locator("#apply-progress").is_hidden()
    page.locator("#apply-form button").click()  # progress.js shows the bar and polls the feed
    page.wait_for_url("**/hr/*/", wait_until="load")
    page.wait_for_selector("#totals")
    assert page.locator("[data-testid=status]").inner_text() in ("反映済み", "Applied")
    g.refresh_from_db()
    assert g.valid_to == dt.date(2024, 10, 1)
    assert Grant.objects.filter(pk=g.pk, end_note="A5.5").exists()
    progress = page.request.get(page.url + "progress/").json()
    assert progress["phase"] == "done"
