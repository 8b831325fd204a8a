"""A9 acknowledgements in a real browser (Debian's Chromium through Playwright):

- a security officer opens 義務の確認状況 from the menu, filters it by unit and by status, pages
  through a long list, and downloads it as CSV (UTF-8 and Shift_JIS) and Excel — the files hold
  exactly the rows of the filter;
- a staff member who has not acknowledged signs in on the real sign-in page, is shown the A9
  duties before anything else, acknowledges them, and then appears as 確認済み on the officer's
  page.

Every journey page is checked with axe-core (no serious or critical violation). Needs
/usr/bin/chromium; never ``playwright install``."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest
from openpyxl import load_workbook

from kengen import testing

pytestmark = [
    pytest.mark.skipif(not os.path.exists(testing.CHROMIUM), reason="Debian's chromium is not installed"),
    pytest.mark.django_db(transaction=True),
]

MENU = "メインメニュー"
LIST_TITLE = "個人情報の保護に関する義務の確認状況"
NO_SIGN_IN = "Kengenのログインなし"
CURRENT = "確認済み"
NEVER = "未確認"


def _shown(page) -> list[tuple[str, str, str]]:
    """(unit, name, status) of each row the page shows."""
    return [
        (
            row.locator("td").nth(0).inner_text().strip(),
            row.locator("th[scope=row] a").inner_text().strip(),
            row.locator(".kg-badge").inner_text().strip(),
        )
        for row in page.locator("table.kg-table tbody tr:has(th[scope=row])").all()
    ]


def _filter(page, *, unit, status: str) -> None:
    """Choose a unit and a status in the filter form and press 表示."""
    form = page.get_by_role("search", name="絞り込み")
    form.get_by_label("所属", exact=True).select_option(value=str(unit.pk))
    form.get_by_label("状態", exact=True).select_option(label=status)
    form.get_by_role("button", name="表示", exact=True).click()
    page.wait_for_load_state()


def _download(page, link_name: str) -> bytes:
    """Click an export link; the file's bytes. Chromium saves it under the page's Japanese name
    (義務の確認状況(A9)_令和8年12月3日.csv), as of the list's date."""
    with page.expect_download() as download:
        page.get_by_role("group", name="出力").get_by_role("link", name=link_name).click()
    extension = ".xlsx" if "(.xlsx)" in link_name else ".csv"
    as_of = page.get_by_label("基準日").input_value()
    assert download.value.suggested_filename == f"義務の確認状況(A9)_{as_of}{extension}"
    return Path(download.value.path()).read_bytes()


def _csv_rows(data: bytes, encoding: str) -> list[tuple[str, str, str]]:
    """(unit, name, status) of each data row of an exported CSV (header: 所属, 職員番号, 氏名, …)."""
    header, *rows = list(csv.reader(io.StringIO(data.decode(encoding))))
    assert header[0] == "所属" and header[2] == "氏名" and header[5] == "状態", header
    return [(r[0], r[2], r[5]) for r in rows]


@pytest.fixture
def unit_people(world):
    """人事係 holds the clerk 田中 花子 (a sign-in, never acknowledged) and 55 people with no Kengen
    sign-in (more than a page); 職員課 holds its head (the officer) and two members who have
    acknowledged; 市民税課 (another unit) one who has not. Returns the no-sign-in names of 人事係."""
    from kengen.acknowledgements import texts
    from kengen.acknowledgements.services import acknowledgement_record
    from kengen.core.views import PER_PAGE

    unsigned = [
        testing.staff(world.jinji, family="無登録", given=f"{i:02d}").full_name for i in range(PER_PAGE + 5)
    ]
    for given in ("一美", "二美"):
        member = testing.staff(world.shokuin, family="確認", given=given)
        acknowledgement_record(user=testing.user_for(member), text_version=texts.CURRENT_VERSION)
    testing.user_for(testing.staff(world.kazei, family="他課", given="三美"))
    return unsigned


def _names(rows) -> set:
    return {name for _unit, name, _status in rows}


@pytest.mark.clause("A9.2")
@pytest.mark.clause("A4")
def test_officer_filters_pages_and_exports_the_status_of_their_units(world, unit_people, live_server):
    from kengen.audit.choices import AuditAction
    from kengen.audit.models import AuditEvent
    from kengen.core.views import PER_PAGE

    officer = world.users["shokuin_head"]
    found: dict[str, list[str]] = {}
    with testing.chromium_page(live_server.url) as page:
        testing.browser_sign_in(page, live_server.url, officer)
        page.goto("/")
        page.get_by_role("navigation", name=MENU).get_by_role("link", name="義務の確認状況").click()
        page.wait_for_url("**/acknowledgements/status/")
        assert page.get_by_role("heading", level=1).inner_text().strip() == LIST_TITLE
        found["all units"] = testing.axe_violations(page)
        everyone = page.locator(".kg-pagination + p, p.kg-muted.kg-small").last.inner_text()
        assert f"{PER_PAGE + 5 + 4}件" in everyone  # 人事係 56 + 職員課 3; never 市民税課
        assert not page.get_by_text("他課 三美").count()

        # 人事係, people without a sign-in: more than a page.
        _filter(page, unit=world.jinji, status=NO_SIGN_IN)
        assert "status=no_sign_in" in page.url and f"unit={world.jinji.pk}" in page.url
        first = _shown(page)
        assert len(first) == PER_PAGE
        assert page.get_by_role("navigation", name="ページ").is_visible()
        found["filtered"] = testing.axe_violations(page)
        page.get_by_role("navigation", name="ページ").get_by_role("link", name="次へ", exact=True).click()
        page.wait_for_url("**page=2**")
        second = _shown(page)
        assert "status=no_sign_in" in page.url  # the filter holds across pages
        found["page 2"] = testing.axe_violations(page)
        shown = first + second
        assert sorted(name for _u, name, _s in shown) == sorted(unit_people)
        assert {status for _u, _n, status in shown} == {NO_SIGN_IN}
        assert all(unit.endswith("人事係") for unit, _n, _s in shown)

        # The exports hold the same rows (every page of them), whichever page they are asked from.
        utf8 = _csv_rows(_download(page, "CSV形式でダウンロード(UTF-8)"), "utf-8-sig")
        sjis_bytes = _download(page, "CSV形式でダウンロード(Shift_JIS・旧Excel向け)")
        with pytest.raises(UnicodeDecodeError):
            sjis_bytes.decode("utf-8")  # really Shift_JIS, not UTF-8 under another name
        sjis = _csv_rows(sjis_bytes, "cp932")
        sheet = load_workbook(io.BytesIO(_download(page, "Excel形式でダウンロード(.xlsx)"))).active
        header, *cells = [
            [c if c is not None else "" for c in row] for row in sheet.iter_rows(values_only=True)
        ]
        assert [header[0], header[2], header[5]] == ["所属", "氏名", "状態"]
        xlsx = [(r[0], r[2], r[5]) for r in cells if any(r)]
        assert utf8 == sjis == xlsx
        assert utf8 == shown  # same rows, same order
        assert len(utf8) == PER_PAGE + 5

        # Only the clerk has not acknowledged.
        _filter(page, unit=world.jinji, status=NEVER)
        assert _shown(page) == [(shown[0][0], "田中 花子", NEVER)]
        never = _csv_rows(_download(page, "CSV形式でダウンロード(UTF-8)"), "utf-8-sig")
        assert never == [(shown[0][0], "田中 花子", NEVER)]

        # 職員課 (and below): the acknowledged ones; the officer, signed in, has acknowledged too.
        _filter(page, unit=world.shokuin, status=CURRENT)
        assert _names(_shown(page)) == {"佐藤 一郎", "確認 一美", "確認 二美"}
        found["current"] = testing.axe_violations(page)

    exports = AuditEvent.objects.filter(action=AuditAction.EXPORT, actor=officer)
    assert exports.count() == 4  # every download is audited, with its filter
    assert sorted((e.new["status"], e.new["rows"], e.new["format"]) for e in exports) == [
        ("never", 1, "csv/utf-8-sig"),
        ("no_sign_in", PER_PAGE + 5, "csv/cp932"),
        ("no_sign_in", PER_PAGE + 5, "csv/utf-8-sig"),
        ("no_sign_in", PER_PAGE + 5, "xlsx"),
    ]
    assert {e.new["unit"] for e in exports} == {world.jinji.pk}
    assert {k: v for k, v in found.items() if v} == {}


@pytest.mark.clause("A9.1")
@pytest.mark.clause("A9.2")
def test_staff_is_shown_the_duties_at_sign_in_and_then_appears_as_acknowledged(world, live_server):
    from kengen.acknowledgements import texts
    from kengen.acknowledgements.models import Acknowledgement

    clerk = world.people["jinji_clerk"]
    found: dict[str, list[str]] = {}
    with testing.chromium_page(live_server.url) as page:
        page.set_default_timeout(60_000)
        # The officer sees 田中 花子 as not yet acknowledged.
        testing.browser_sign_in(page, live_server.url, world.users["shokuin_head"])
        page.goto("/acknowledgements/status/")
        _filter(page, unit=world.jinji, status=NEVER)
        assert [name for _u, name, _s in _shown(page)] == ["田中 花子"]

        # The clerk signs in on the sign-in page: the duties come first, whatever page is asked for.
        page.context.clear_cookies()
        page.goto("/login/")
        page.fill("#id_username", "jinji-clerk")
        page.fill("#id_password", testing.TEST_PASSWORD)
        page.locator("form button[type=submit]").last.click()
        page.wait_for_url("**/acknowledgements/**")
        page.goto("/grants/")
        page.wait_for_url("**/acknowledgements/?next=**")
        assert (
            page.get_by_role("alert")
            .filter(has_text="続ける前に、義務の内容を読んで確認してください。")
            .is_visible()
        )
        duties = page.locator("article.kg-duties")
        assert duties.get_by_role("heading", level=2).inner_text().strip() == texts.current_text().title
        assert "第67条" in duties.inner_text()  # the duty of safe handling, with its basis
        assert not page.get_by_role("navigation", name=MENU).count()  # nothing else until it is done
        found["duties"] = testing.axe_violations(page)

        # Without ticking the box: refused, beside the box.
        page.get_by_role("button", name="確認する", exact=True).click()
        page.wait_for_selector(".kg-error-summary")
        assert not Acknowledgement.objects.filter(person=clerk).exists()
        found["refused"] = testing.axe_violations(page)
        page.get_by_label("上記の義務を読み、遵守します。").check()
        page.get_by_role("button", name="確認する", exact=True).click()
        page.wait_for_url("**/grants/")  # back to the page first asked for
        assert page.get_by_text("ありがとうございました。義務の確認を記録しました。").is_visible()

        # The officer now sees the clerk as acknowledged.
        testing.browser_sign_in(page, live_server.url, world.users["shokuin_head"])
        page.goto("/acknowledgements/status/")
        _filter(page, unit=world.jinji, status=CURRENT)
        ((_unit, name, status),) = _shown(page)
        assert (name, status) == ("田中 花子", CURRENT)
        row = page.locator("table.kg-table tbody tr", has_text="田中 花子")
        assert row.locator("td").nth(4).inner_text().strip() == texts.CURRENT_VERSION
        found["acknowledged"] = testing.axe_violations(page)
        _filter(page, unit=world.jinji, status=NEVER)
        assert page.get_by_text("該当する職員等はいません。").is_visible()

    (ack,) = Acknowledgement.objects.filter(person=clerk)
    assert ack.text_version == texts.CURRENT_VERSION
    assert {k: v for k, v in found.items() if v} == {}
