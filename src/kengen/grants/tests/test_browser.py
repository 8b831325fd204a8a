"""The management file's journeys in a real browser (Debian's Chromium through Playwright):

- a security officer signs in (password, then the authenticator app's code), reads the home page's
  tiles, follows the "permissions ending within 30 days" figure to the management file filtered
  the same way, pages through it, moves the as-of date with the era date field (``era-date.js``)
  and downloads the list as CSV and Excel;
- the core package's administrator (情報システム課) grants a 別表第2 staff member directly
  (A5.5/A5.6), finds the grant in the management file, and revokes it after the person's transfer
  (A5.5).

Every journey page is checked with axe-core (no serious or critical violation); confirmation
dialogs (``confirm.js``) are answered. Needs /usr/bin/chromium; never ``playwright install``."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from kengen import testing
from kengen.core.era import wareki

pytestmark = [
    pytest.mark.skipif(not os.path.exists(testing.CHROMIUM), reason="Debian's chromium is not installed"),
    pytest.mark.django_db(transaction=True),
]

ROW_IDS = "table.kg-table tbody th[scope=row] code"  # the user ID of each row of the file


def _session_for(page, base_url: str, user) -> None:
    """Sign ``user`` in on the browser as a finished sign-in (second factor passed, A9 done)."""
    client = Client()
    testing.login(client, user)
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base_url}]
    )


def _record_dialogs(page, asked: list[str], answers: list[bool] | None = None) -> None:
    """Answer each ``window.confirm`` (confirm.js) with the next of ``answers`` (then: yes), and
    keep what it asked."""
    pending = list(answers or [])

    def on_dialog(dialog):
        asked.append(dialog.message)
        dialog.accept() if (pending.pop(0) if pending else True) else dialog.dismiss()

    page.on("dialog", on_dialog)


def _era_short(day: dt.date) -> str:
    """The short era form a clerk types (R8.12.12): the field reads it, the preview spells it out."""
    assert day >= dt.date(2019, 5, 1)
    return f"R{day.year - 2018}.{day.month}.{day.day}"


def _read_as(page, label: str) -> dt.date:
    """The date a date field holds, as its era preview (era-date.js) tells the user:
    「→ 令和8年12月2日（西暦 2026年12月2日）」."""
    field = page.get_by_label(label)
    preview = page.locator("#" + (field.get_attribute("data-kg-era-preview") or "")).inner_text()
    found = re.fullmatch(r"→ (\S+)（西暦 (\d+)年(\d+)月(\d+)日）", preview.strip())
    assert found, f"{label}: {field.input_value()!r} is previewed as {preview!r}"
    day = dt.date(*(int(g) for g in found.groups()[1:]))
    assert found.group(1) == wareki(day)
    return day


def _shown_ids(page) -> list[tuple[str, str]]:
    """(user ID, permission) of each row the page shows."""
    rows = page.locator("table.kg-table tbody tr:has(th[scope=row])")
    return [
        (
            row.locator("th[scope=row] code").inner_text().strip(),
            row.locator("td").nth(4).inner_text().strip(),
        )
        for row in rows.all()
    ]


def _all_pages(page) -> list[list[tuple[str, str]]]:
    """The (user ID, permission) rows of each page of the list, following "次へ" to the last page."""
    pages = [_shown_ids(page)]
    nav = page.get_by_role("navigation", name="ページ")
    while nav.count() and nav.get_by_role("link", name="次へ", exact=True).count():
        nav.get_by_role("link", name="次へ", exact=True).click()
        page.wait_for_load_state()
        pages.append(_shown_ids(page))
    return pages


# --- The home page's figure and the management file (A2.6, A4) ------------------------------------


@pytest.fixture
def ending_world(world):
    """人事給与システム (情報システム課) with user IDs for people of 職員課 and 市民税課, whose
    permissions end at different distances from today. Returns ``(world, today, expected)``:
    ``expected[day]`` is the (user ID, permission) the 職員課 officer's "ending within 30 days" list
    shows as of ``day``."""
    from kengen.grants.choices import GrantBasis
    from kengen.grants.services import account_create, grant_create

    today = timezone.localdate()
    hr = world.system("HR", "人事給与システム", owner=world.joho)
    inquiry, update = hr.permissions.get(code="inquiry"), hr.permissions.get(code="update")
    people = [world.people["jinji_clerk"]] + [
        testing.staff(world.jinji, family="職員", given=f"{name}")
        for name in ("一美", "二美", "三美", "四美", "五美")
    ]
    people.append(world.people["kazei_clerk"])  # another security unit: never on 職員課's list

    def days(n: int) -> dt.date:
        return today + dt.timedelta(days=n)

    # (person, user ID, permission, first day, exclusive end): the exclusive end is the last day + 1.
    plan = [
        (0, "SHOKU01", inquiry, testing.START, days(1)),  # last day today
        (0, "SHOKU01", update, testing.START, days(6)),
        (1, "SHOKU02", inquiry, testing.START, days(11)),
        (1, "SHOKU02", update, testing.START, None),  # no end: never "ending"
        (2, "SHOKU03", inquiry, testing.START, days(21)),
        (3, "SHOKU04", inquiry, testing.START, days(31)),  # last day today + 30: still within 30 days
        (4, "SHOKU05", inquiry, testing.START, days(32)),  # last day today + 31: not within 30 days
        (5, "SHOKU06", inquiry, days(5), days(21)),  # starts in 5 days: not in force today
        (5, "SHOKU06", update, testing.START, today),  # ended yesterday
        (6, "KAZEI01", inquiry, testing.START, days(5)),  # 市民税課
    ]
    accounts = {}
    for i, uid, perm, start, end in plan:
        if uid not in accounts:
            accounts[uid] = account_create(
                actor=None, system=hr, user_id=uid, person=people[i], valid_from=testing.START
            )
        grant_create(
            actor=None,
            account=accounts[uid],
            permission=perm,
            valid_from=start,
            valid_to=end,
            basis=GrantBasis.INITIAL_LOAD,
        )
    expected = {
        today: [
            ("SHOKU01", "更新"),
            ("SHOKU01", "照会"),
            ("SHOKU02", "照会"),
            ("SHOKU03", "照会"),
            ("SHOKU04", "照会"),
        ],
        days(10): [("SHOKU02", "照会"), ("SHOKU03", "照会"), ("SHOKU04", "照会"), ("SHOKU06", "照会")],
    }
    return world, today, expected


@pytest.mark.clause("A2.6")
@pytest.mark.clause("A4")
def test_officer_follows_the_ending_soon_figure_to_the_file_pages_it_moves_the_date_and_exports(
    ending_world, live_server, monkeypatch
):
    from kengen.acknowledgements import texts
    from kengen.acknowledgements.services import acknowledgement_record
    from kengen.audit.choices import AuditAction
    from kengen.audit.models import AuditEvent

    world, today, expected = ending_world
    later = today + dt.timedelta(days=10)
    monkeypatch.setattr("kengen.grants.views.FILE_PER_PAGE", 2)  # three pages of the five rows
    officer = world.users["shokuin_head"]
    device = testing.totp_device_for(officer)
    acknowledgement_record(user=officer, text_version=texts.CURRENT_VERSION)  # A9 done earlier
    found: dict[str, list[str]] = {}
    asked: list[str] = []
    with testing.chromium_page(live_server.url) as page:
        page.set_default_timeout(60_000)  # a loaded machine: waiting longer is not a different result
        _record_dialogs(page, asked)
        page.goto("/")
        page.wait_for_url("**/login/**")
        found["sign in"] = testing.axe_violations(page)
        page.get_by_label("ログイン名").fill("shokuin-head")
        page.get_by_label("パスワード").fill(testing.TEST_PASSWORD)
        page.get_by_role("button", name="ログイン").click()
        page.wait_for_url("**/login/second-factor/**")
        found["second factor"] = testing.axe_violations(page)
        page.get_by_role("textbox", name="コード").fill(testing.totp_code(device, offset=1))
        page.get_by_role("button", name="確認").click()
        page.wait_for_url(live_server.url + "/")

        # The home page: the officer's tiles, and the figure of permissions ending within 30 days.
        assert page.get_by_role("heading", level=1).inner_text().strip() == "佐藤 一郎さん、こんにちは"
        found["home"] = testing.axe_violations(page)
        tiles = page.locator("section[aria-labelledby=counts-heading] ul.kg-cards > li")
        assert set(tiles.evaluate_all("els => els.map(e => e.id)")) == {
            "tile-my_drafts",
            "tile-pending_enrolments",
            "tile-people_in_my_units",
            "tile-ending_soon",
            "tile-fiscal_year_ending",
            "tile-my_grants",
        }
        tile = page.locator("#tile-ending_soon")
        assert "30日以内に終了する操作権限" in tile.inner_text()
        assert f"最終日が{wareki(today + dt.timedelta(days=30))}以前のもの" in tile.inner_text()
        assert "kg-card--attention" in (tile.get_attribute("class") or "")
        figure = tile.get_by_role("link", name="30日以内に終了する操作権限 5件:管理ファイルで表示")
        assert figure.inner_text().replace("\n", "").strip() == "5件"
        figure.click()

        # The management file, filtered as the figure said: the same five rows over three pages.
        page.wait_for_url(f"**{reverse('grants:file')}?**")
        assert (
            page.get_by_role("heading", level=1).inner_text().strip() == f"管理ファイル({wareki(today)}現在)"
        )
        assert _read_as(page, "基準日") == today
        assert _read_as(page, "最終日がこの日以前") == today + dt.timedelta(days=30)
        # The link's ISO dates are shown in the era, as every date field shows its date.
        assert page.get_by_label("基準日").input_value() == wareki(today)
        assert page.get_by_label("最終日がこの日以前").input_value() == wareki(today + dt.timedelta(days=30))
        assert page.locator("table.kg-table caption").inner_text().startswith("5件")
        found["file"] = testing.axe_violations(page)
        pages = _all_pages(page)
        assert [len(p) for p in pages] == [2, 2, 1]
        # Each row once: none skipped or repeated from one page to the next.
        assert sorted(row for p in pages for row in p) == expected[today]
        assert "3ページ中3ページ目" in page.get_by_role("navigation", name="ページ").inner_text()

        # Another as-of date, typed in the era's short form: the preview says how it is read.
        date_field = page.get_by_label("基準日")
        date_field.fill(_era_short(later))
        preview = page.locator("#id_on-era")
        assert preview.inner_text() == (
            f"→ {wareki(later)}（西暦 {later.year}年{later.month}月{later.day}日）"
        )
        date_field.fill("R8.2.30")  # no such day: said before anything is sent
        assert preview.inner_text().startswith("日付として読めません。")
        assert "kg-era-preview--error" in (preview.get_attribute("class") or "")
        date_field.fill(_era_short(later))
        page.get_by_role("button", name="表示", exact=True).click()
        page.wait_for_load_state()
        assert (
            page.get_by_role("heading", level=1).inner_text().strip() == f"管理ファイル({wareki(later)}現在)"
        )
        assert _read_as(page, "最終日がこの日以前") == today + dt.timedelta(days=30)  # the filter is kept
        found["file later"] = testing.axe_violations(page)
        pages = _all_pages(page)
        assert [len(p) for p in pages] == [2, 2]
        assert sorted(row for p in pages for row in p) == expected[later]

        # The exports of what is shown (any page: an export is the whole filtered list).
        with page.expect_download() as csv_download:
            page.get_by_role("link", name="CSV形式でダウンロード(UTF-8)").click()
        with page.expect_download() as xlsx_download:
            page.get_by_role("link", name="Excel形式でダウンロード(.xlsx)").click()
        csv_file, xlsx_file = csv_download.value, xlsx_download.value
        assert csv_file.failure() is None and xlsx_file.failure() is None
        assert csv_file.suggested_filename == f"管理ファイル_{wareki(later)}.csv"
        assert xlsx_file.suggested_filename == f"管理ファイル_{wareki(later)}.xlsx"
        # Read before the browser closes (Playwright deletes its downloads with the context).
        csv_bytes, xlsx_bytes = (Path(d.path()).read_bytes() for d in (csv_file, xlsx_file))

    assert csv_bytes.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM: Excel opens it as UTF-8
    header, *rows = list(csv.reader(io.StringIO(csv_bytes.decode("utf-8-sig"))))
    assert header[:3] == ["システム", "業務システム", "ユーザID"]
    assert sorted((r[2], r[8]) for r in rows) == expected[later]
    last_days = [dt.date.fromisoformat(r[11]) for r in rows]
    assert all(later <= d <= today + dt.timedelta(days=30) for d in last_days)
    assert not any("KAZEI" in v or "伊藤" in v for r in rows for v in r)  # another unit's people

    sheet = load_workbook(io.BytesIO(xlsx_bytes)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == header
    assert sorted((r[2], r[8]) for r in values[1:]) == expected[later]
    assert {r[11].date() for r in values[1:]} == set(last_days)  # real dates, not text

    exports = AuditEvent.objects.filter(action=AuditAction.EXPORT, actor=officer).order_by("seq")
    assert [(e.new["format"], e.new["rows"], e.new["as_of"]) for e in exports] == [
        ("csv/utf-8-sig", 4, later.isoformat()),
        ("xlsx", 4, later.isoformat()),
    ]
    assert asked == []  # reading the file asks nothing
    assert {k: v for k, v in found.items() if v} == {}


# --- Direct grants by central IT and their revocation on transfer (A5.5, A5.6) ---------------------


@pytest.mark.clause("A5.5")
@pytest.mark.clause("A5.6")
def test_it_administrator_grants_a_table2_clerk_directly_and_revokes_it_after_a_transfer(world, live_server):
    from kengen.eligibility.services import eligibility_entry_create
    from kengen.grants.choices import EndReason, GrantBasis
    from kengen.grants.models import Grant
    from kengen.notifications.models import Notification
    from kengen.people.choices import AssignmentEndReason
    from kengen.people.services import assignment_move

    world.core()  # COKAS-R/ADⅡ (情報システム課 administers it) and 個人住民税
    eligibility_entry_create(actor=None, organization=world.shokuin, valid_from=testing.START)  # 別表第2
    clerk = world.people["jinji_clerk"]
    admin = world.users["joho_head"]
    today = timezone.localdate()
    last_day = today + dt.timedelta(days=100)
    found: dict[str, list[str]] = {}
    asked: list[str] = []
    with testing.chromium_page(live_server.url) as page:
        page.set_default_timeout(60_000)
        _record_dialogs(page, asked, [True, False, True])  # grant: yes; revoke: no, then yes
        _session_for(page, live_server.url, admin)
        page.goto(reverse("people:detail", args=[clerk.pk]))
        found["person"] = testing.axe_violations(page)
        page.get_by_role("link", name="直接付与する").click()
        page.wait_for_url(f"**{reverse('grants:direct')}?person=*")
        assert "本日、直接付与の対象です(第5条第5項)" in page.locator("main").inner_text()
        assert page.get_by_label("ユーザID").input_value() == clerk.staff_number  # the default
        found["direct"] = testing.axe_violations(page)
        page.get_by_label("個人住民税 照会").check()
        page.get_by_label("個人住民税 更新").check()
        page.get_by_label("終了日(最終日)").fill(wareki(last_day))
        page.get_by_label("自己の業務").check()
        page.get_by_role("button", name="付与して管理ファイルに登録する").click()
        page.wait_for_url(f"**/people/{clerk.pk}/")
        assert asked == [
            "選んだ操作権限を直接付与し、管理ファイルに登録しますか。情報セキュリティ責任者に通知されます。"
        ]
        status = page.locator(".kg-messages, [role=status]").first
        assert (
            f"{clerk.full_name}(ユーザID {clerk.staff_number})に操作権限2件を直接付与しました。"
            in status.inner_text()
        )
        found["granted"] = testing.axe_violations(page)

        grants = list(Grant.objects.filter(account__person=clerk).select_related("account", "permission"))
        assert sorted(g.permission.code for g in grants) == ["inquiry", "update"]
        assert {(g.basis, g.valid_from, g.valid_to) for g in grants} == {
            (GrantBasis.DIRECT, today, last_day + dt.timedelta(days=1))  # the exclusive end
        }
        assert {g.account.user_id for g in grants} == {clerk.staff_number}
        assert Notification.objects.filter(recipient=world.people["shokuin_head"], clause="A5.6").count() == 1

        # The grant in the management file, reached from the person's page.
        page.get_by_role("link", name="管理ファイルで開く").click()
        page.wait_for_url(f"**{reverse('grants:file')}?**")
        found["file"] = testing.axe_violations(page)
        rows = page.locator("table.kg-table tbody tr")
        assert rows.count() == 2
        for i in range(2):
            text = rows.nth(i).inner_text()
            assert clerk.staff_number in text and clerk.full_name in text
            assert "個人住民税" in text and "管理者による直接付与(A5.5)" in text
        assert sorted(rows.locator("td:nth-child(6)").all_inner_texts()) == ["更新", "照会"]

        # A transfer out of 別表第2 (recorded by personnel), then the administrator revokes.
        moved_on = today + dt.timedelta(days=14)
        assignment_move(
            actor=None,
            assignment=clerk.assignments.get(),
            organization=world.kazei,
            on=moved_on,
            reason=AssignmentEndReason.TRANSFER,
        )
        page.goto(reverse("people:detail", args=[clerk.pk]))
        page.get_by_role("link", name="直接付与を解除する(異動・退職)").click()
        page.wait_for_url(f"**{reverse('grants:revoke_transfer')}?person=*")
        assert page.locator("table.kg-table tbody tr").count() == 2  # the two direct grants in force
        found["revoke"] = testing.axe_violations(page)
        page.get_by_label("異動日・退職日").fill(_era_short(moved_on))
        assert page.locator("#id_on-era").inner_text().startswith(f"→ {wareki(moved_on)}")
        page.get_by_label("異動", exact=True).check()
        revoke = page.get_by_role("button", name="直接付与の操作権限を解除する")
        revoke.click()  # asked, and answered "no": nothing is sent
        page.wait_for_timeout(300)
        assert len(asked) == 2 and "取り消すことはできません" in asked[1]
        assert "revoke-transfer" in page.url
        assert {g.valid_to for g in Grant.objects.filter(account__person=clerk)} == {
            last_day + dt.timedelta(days=1)
        }
        revoke.click()  # asked again, answered "yes"
        page.wait_for_url(f"**/people/{clerk.pk}/")
        assert len(asked) == 3
        status = page.locator(".kg-messages, [role=status]").first
        assert f"直接付与の操作権限2件は{wareki(moved_on)}で終了します。" in status.inner_text()
        found["revoked"] = testing.axe_violations(page)

        # The management file: held the day before the transfer, gone on its day.
        page.goto(f"{reverse('grants:file')}?person={clerk.pk}&on={moved_on.isoformat()}")
        assert "この日付に該当する登録はありません。" in page.locator("table.kg-table").inner_text()
        page.get_by_label("基準日").fill(_era_short(moved_on - dt.timedelta(days=1)))
        page.get_by_role("button", name="表示", exact=True).click()
        page.wait_for_load_state()
        assert page.locator(ROW_IDS).count() == 2

    ended = Grant.objects.filter(account__person=clerk)
    assert {(g.valid_to, g.end_reason) for g in ended} == {(moved_on, EndReason.TRANSFER)}
    assert {k: v for k, v in found.items() if v} == {}
