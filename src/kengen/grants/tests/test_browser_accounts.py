"""Ending a user ID and deleting one for a breach, in a real browser (Debian's Chromium through
Playwright):

- the core package's administrator (情報システム課長) ends a maintenance staff user ID from
  保守要員のユーザID → 削除 (A5.9): the ID and its permissions are gone from the management file
  as of the end date and still there the day before;
- the administrator deletes a clerk's user ID for a breach of Art. 69(1) (A5.7) from the person's
  page: the reason, the confirmation step (which can go back to the form), the audit record, the
  security officer's notification (A5.8) and the management file afterwards.

Every journey page is checked with axe-core (no serious or critical violation). Needs
/usr/bin/chromium; never ``playwright install``."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.urls import reverse
from django.utils import timezone

from kengen import testing
from kengen.core.era import wareki

pytestmark = [
    pytest.mark.skipif(not os.path.exists(testing.CHROMIUM), reason="Debian's chromium is not installed"),
    pytest.mark.django_db(transaction=True),
]

ROW_IDS = "table.kg-table tbody th[scope=row] code"  # the user ID of each row of the management file
STATUS = ".kg-messages, [role=status]"


def _era_short(day: dt.date) -> str:
    """The short era form a clerk types (R8.12.12)."""
    return f"R{day.year - 2018}.{day.month}.{day.day}"


def _file_ids_as_of(page, day: dt.date) -> list[str]:
    """Type ``day`` into the management file's 基準日, press 表示: the user IDs the file shows."""
    page.get_by_label("基準日").fill(_era_short(day))
    assert page.locator("#id_on-era").inner_text().startswith(f"→ {wareki(day)}")
    page.get_by_role("button", name="表示", exact=True).click()
    page.wait_for_load_state()
    assert f"{wareki(day)}現在" in page.get_by_role("heading", level=1).inner_text()
    return page.locator(ROW_IDS).all_inner_texts()


def _check_and_delete(page, person) -> str:
    """From the breach form: 次へ(確認), then delete; back on the person's page, what it says."""
    page.get_by_role("button", name="次へ(確認)").click()
    page.get_by_role("button", name="削除して情報セキュリティ責任者に通知する").click()
    page.wait_for_url(f"**{reverse('people:detail', args=[person.pk])}")
    return page.locator(STATUS).first.inner_text()


@pytest.fixture
def core(world):
    """COKAS-R/ADⅡ and 個人住民税 (administered by 情報システム課); 職員課 is in 別表第2."""
    from kengen.eligibility.services import eligibility_entry_create

    core = world.core()
    eligibility_entry_create(actor=None, organization=world.shokuin, valid_from=testing.START)
    return core


@pytest.fixture
def clerk_account(world, core):
    """The 人事係 clerk's user ID on COKAS-R/ADⅡ with 照会 and 更新 of 個人住民税, granted directly."""
    from kengen.grants.services import grant_direct

    _core_sys, tax = core
    (grant, _update) = grant_direct(
        actor=world.users["joho_head"],
        person=world.people["jinji_clerk"],
        permissions=[tax.permissions.get(code="inquiry"), tax.permissions.get(code="update")],
        valid_from=testing.START,
    )
    return grant.account


@pytest.mark.clause("A5.9")
def test_administrator_ends_a_maintenance_user_id_and_the_file_drops_it_from_that_day(
    world, core, maintainer, live_server
):
    from kengen.audit.models import AuditEvent
    from kengen.grants.choices import EndReason
    from kengen.grants.models import Account, Grant
    from kengen.grants.services import maintenance_account_register

    core_sys, tax = core
    today = timezone.localdate()
    end_on = today + dt.timedelta(days=10)
    maintenance_account_register(
        actor=world.users["joho_head"],
        person=maintainer,
        system=core_sys,
        user_id="M001",
        permissions=[tax.permissions.get(code="inquiry"), tax.permissions.get(code="update")],
        valid_from=today - dt.timedelta(days=30),
        valid_to=today + dt.timedelta(days=200),
    )
    account = Account.objects.get(user_id="M001")
    found: dict[str, list[str]] = {}
    with testing.chromium_page(live_server.url) as page:
        testing.browser_sign_in(page, live_server.url, world.users["joho_head"])
        page.goto("/")
        page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="保守要員").click()
        page.wait_for_url(f"**{reverse('grants:maintenance')}")
        row = page.locator("table.kg-table tbody tr", has_text="M001")
        assert "保守 一郎" in row.inner_text() and "北見システム保守株式会社" in row.inner_text()
        found["maintenance list"] = testing.axe_violations(page)
        row.get_by_role("link", name="削除 M001").click()
        page.wait_for_url(f"**{reverse('grants:account_end', args=[account.pk])}")
        assert page.get_by_role("heading", level=1).inner_text().strip() == "ユーザIDの削除: M001"
        assert page.get_by_label("効力発生日").input_value() == wareki(today)  # today by default
        found["end"] = testing.axe_violations(page)
        page.get_by_label("効力発生日").fill(_era_short(end_on))
        assert page.locator("#id_on-era").inner_text().startswith(f"→ {wareki(end_on)}")
        page.get_by_label("理由").select_option(label="申請による解除")
        page.get_by_role("button", name="ユーザIDを削除する").click()
        page.wait_for_url(f"**{reverse('grants:maintenance')}")
        assert (
            f"ユーザID M001とその操作権限は{wareki(end_on)}から無効になります。"
            in page.locator(STATUS).first.inner_text()
        )
        found["ended"] = testing.axe_violations(page)

        # The management file: the ID and both permissions until the day before, none from the day.
        page.goto(f"{reverse('grants:file')}?person={maintainer.pk}")
        assert _file_ids_as_of(page, end_on - dt.timedelta(days=1)) == ["M001", "M001"]
        found["file before"] = testing.axe_violations(page)
        assert _file_ids_as_of(page, end_on) == []
        assert "この日付に該当する登録はありません。" in page.locator("table.kg-table").inner_text()
        assert _file_ids_as_of(page, today) == ["M001", "M001"]  # history is never overwritten

    account.refresh_from_db()
    assert (account.valid_to, account.end_reason) == (end_on, EndReason.CANCELLED)
    assert {(g.valid_to, g.end_reason) for g in Grant.objects.filter(account=account)} == {
        (end_on, EndReason.ACCOUNT_ENDED)
    }
    event = AuditEvent.objects.get(action="account.ended", target_id=str(account.pk))
    assert event.actor == world.users["joho_head"] and event.new["end_reason"] == EndReason.CANCELLED
    assert {k: v for k, v in found.items() if v} == {}


@pytest.mark.clause("A5.7")
@pytest.mark.clause("A5.8")
def test_administrator_deletes_a_user_id_for_a_breach_with_a_reason_after_checking(
    world, clerk_account, live_server
):
    from kengen.audit.models import AuditEvent
    from kengen.grants.choices import EndReason
    from kengen.grants.models import Grant
    from kengen.notifications.models import Notification

    clerk, account = world.people["jinji_clerk"], clerk_account
    today = timezone.localdate()
    reason = "業務と関係のない住民の課税情報を照会した"
    found: dict[str, list[str]] = {}
    asked: list[str] = []
    with testing.chromium_page(live_server.url) as page:
        testing.answer_dialogs(page, [], asked)
        testing.browser_sign_in(page, live_server.url, world.users["joho_head"])
        page.goto(reverse("people:detail", args=[clerk.pk]))
        found["person"] = testing.axe_violations(page)
        page.get_by_text(f"その他の操作 {account.user_id}").click()  # opens the <details>
        page.get_by_role("link", name=f"違反による削除 {account.user_id}").click()
        page.wait_for_url(f"**{reverse('grants:breach', args=[account.pk])}")
        found["breach form"] = testing.axe_violations(page)

        # Without a reason: refused, nothing done.
        page.get_by_label("ユーザIDとそのすべての操作権限").check()
        page.get_by_role("button", name="次へ(確認)").click()
        page.wait_for_selector(".kg-error-summary")
        assert not Grant.objects.filter(ended_at__isnull=False).exists()
        found["no reason"] = testing.axe_violations(page)

        page.get_by_label("違反の内容(個人情報の保護に関する法律第69条第1項)").fill(reason)
        page.get_by_role("button", name="次へ(確認)").click()
        check = page.get_by_role("alert").filter(has_text="削除の前に確認してください")
        check.wait_for()
        assert reason in check.inner_text() and "照会" in check.inner_text() and "更新" in check.inner_text()
        assert wareki(today) in check.inner_text()
        assert not Grant.objects.filter(ended_at__isnull=False).exists()  # nothing before confirming
        found["check"] = testing.axe_violations(page)

        # Back to the form: what was typed is kept; then on again, and confirmed.
        page.get_by_role("button", name="入力画面に戻る").click()
        page.wait_for_load_state()
        field = page.get_by_label("違反の内容(個人情報の保護に関する法律第69条第1項)")
        assert field.input_value() == reason
        said = _check_and_delete(page, clerk)
        assert (
            f"第69条第1項違反により削除しました:ユーザID {account.user_id}の操作権限2件は{wareki(today)}から無効です。"
            in said
        )
        found["deleted"] = testing.axe_violations(page)
        accounts = page.locator("table.kg-table tbody tr", has_text=account.user_id).filter(
            has=page.locator("th[scope=row]", has_text="COKAS-R/ADⅡ")
        )  # the person's user IDs (the rows below it are its permissions)
        assert "個人情報保護法第69条第1項違反(A5.7)" in accounts.inner_text()
        assert not accounts.get_by_role("link", name=f"違反による削除 {account.user_id}").count()

        # The management file: nothing from today; the day before, both permissions.
        page.goto(f"{reverse('grants:file')}?person={clerk.pk}")
        assert _file_ids_as_of(page, today) == []
        assert _file_ids_as_of(page, today - dt.timedelta(days=1)) == [account.user_id] * 2
        found["file"] = testing.axe_violations(page)

    account.refresh_from_db()
    assert (account.valid_to, account.end_reason) == (today, EndReason.BREACH)
    assert {(g.valid_to, g.end_reason) for g in Grant.objects.filter(account=account)} == {
        (today, EndReason.BREACH)
    }
    event = AuditEvent.objects.get(action="grant.breach_deletion", target_id=str(account.pk))
    assert event.actor == world.users["joho_head"] and reason in str(event.new)
    note = Notification.objects.get(recipient=world.people["shokuin_head"], clause="A5.8")
    assert reason in note.body
    assert asked == []  # the check is its own page, not a dialog
    assert {k: v for k, v in found.items() if v} == {}


@pytest.mark.clause("A5.7")
def test_breach_deletion_of_a_chosen_permission_keeps_the_id_and_the_other_permission(
    world, clerk_account, live_server
):
    from kengen.grants.choices import EndReason
    from kengen.grants.models import Grant

    clerk, account = world.people["jinji_clerk"], clerk_account
    today = timezone.localdate()
    found: dict[str, list[str]] = {}
    with testing.chromium_page(live_server.url) as page:
        testing.browser_sign_in(page, live_server.url, world.users["joho_head"])
        page.goto(reverse("grants:breach", args=[account.pk]))
        page.get_by_label("下で選んだ操作権限だけ").check()
        page.get_by_label("個人住民税：更新").check()
        page.get_by_label("違反の内容(個人情報の保護に関する法律第69条第1項)").fill("更新権限の濫用")
        page.get_by_role("button", name="次へ(確認)").click()
        check = page.get_by_role("alert").filter(has_text="削除の前に確認してください")
        check.wait_for()
        assert check.locator("ul li").all_inner_texts() == ["個人住民税：更新"]
        found["check"] = testing.axe_violations(page)
        page.get_by_role("button", name="入力画面に戻る").click()
        page.wait_for_load_state()
        assert page.get_by_label("下で選んだ操作権限だけ").is_checked()  # the choice is kept
        assert page.get_by_label("個人住民税：更新").is_checked()
        assert not page.get_by_label("個人住民税：照会").is_checked()
        said = _check_and_delete(page, clerk)
        assert f"ユーザID {account.user_id}の操作権限1件は{wareki(today)}から無効です。" in said
        page.goto(f"{reverse('grants:file')}?person={clerk.pk}")
        assert _file_ids_as_of(page, today) == [account.user_id]  # 照会 only
        found["file"] = testing.axe_violations(page)

    account.refresh_from_db()
    assert account.valid_to is None
    assert {(g.permission.code, g.end_reason) for g in Grant.objects.filter(account=account)} == {
        ("inquiry", ""),
        ("update", EndReason.BREACH),
    }
    assert {k: v for k, v in found.items() if v} == {}
