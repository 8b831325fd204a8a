"""Biometric enrolment (A6.4) in a real browser (Debian's Chromium through Playwright): the
two-factor system administrator finds a pending enrolment, designates the place and time, and later
records it as enrolled (asked to confirm first: it cannot be undone; a time still to come is
refused); the person concerned sees the
place and time on their list and on their home page, then sees it done. Every journey page is
checked with axe-core (no serious or critical violation).

Needs /usr/bin/chromium; never ``playwright install``."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.utils import timezone

from kengen import testing

pytestmark = [
    pytest.mark.skipif(not os.path.exists(testing.CHROMIUM), reason="Debian's chromium is not installed"),
    pytest.mark.django_db(transaction=True),
]

PLACE = "本庁舎3階 情報システム課"


def _menu(page, name: str) -> None:
    page.goto("/")
    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name=name).click()
    page.wait_for_url("**/terminals/")


@pytest.mark.clause("A6.4")
@pytest.mark.clause("A4")
def test_two_factor_administrator_schedules_and_records_an_enrolment_the_person_sees_it(
    world, enrolment, live_server
):
    from kengen.notifications.models import Notification
    from kengen.terminals.models import BiometricEnrolment
    from kengen.terminals.services import enrolment_open

    enrolment_open(actor=None, person=world.people["kazei_clerk"])  # another unit's: not the clerk's to see
    when = (timezone.localtime() + dt.timedelta(days=7)).replace(hour=10, minute=30, second=0, microsecond=0)
    admin, clerk = world.users["joho_head"], world.users["jinji_clerk"]
    found: dict[str, list[str]] = {}
    asked: list[str] = []
    with testing.chromium_page(live_server.url) as page:
        testing.answer_dialogs(page, [False, True, True], asked)
        # The person concerned: their home page says it is pending, their list shows no place yet.
        testing.browser_sign_in(page, live_server.url, clerk)
        page.goto("/")
        tile = page.locator("#tile-my_pending_enrolment")
        assert "端末利用のための生体情報の登録がまだです" in tile.inner_text()
        found["home (person, pending)"] = testing.axe_violations(page)
        tile.get_by_role("link", name="場所と日時を見る").click()
        page.wait_for_url("**/terminals/")
        rows = page.locator("table.kg-table tbody tr")
        assert rows.count() == 1 and "田中 花子" in rows.first.inner_text()
        assert "未指定" in rows.first.inner_text()

        # The two-factor administrator: 端末・生体認証 → 場所を指定 → the place and time.
        testing.browser_sign_in(page, live_server.url, admin)
        _menu(page, "端末・生体認証")
        assert page.locator("table.kg-table tbody tr").count() == 2
        found["list (administrator)"] = testing.axe_violations(page)
        page.get_by_role("link", name="場所を指定 — 田中 花子").click()
        page.wait_for_url(f"**/terminals/{enrolment.pk}/")
        found["detail (to schedule)"] = testing.axe_violations(page)
        page.get_by_label("登録場所").fill(PLACE)
        page.get_by_label("登録日時").fill(when.strftime("%Y-%m-%dT%H:%M"))
        page.get_by_role("button", name="指定する", exact=True).click()
        page.wait_for_selector("text=場所と日時を田中 花子と情報セキュリティ責任者に通知しました。")
        enrolment.refresh_from_db()
        assert enrolment.place == PLACE and enrolment.appointment_at == when
        assert page.get_by_label("登録場所").input_value() == PLACE  # the form shows what was designated
        assert page.get_by_label("登録日時").input_value() == when.strftime("%Y-%m-%dT%H:%M")
        found["detail (scheduled)"] = testing.axe_violations(page)

        # The person: told, and the list shows where and when; still pending on the home page.
        testing.browser_sign_in(page, live_server.url, clerk)
        _menu(page, "端末・生体認証")
        row = page.locator("table.kg-table tbody tr").first
        assert PLACE in row.inner_text() and "未登録" in row.inner_text()
        assert "10時30分" in row.inner_text()
        assert page.get_by_role("button", name="指定する").count() == 0  # not theirs to change (A6.4)
        found["list (person, scheduled)"] = testing.axe_violations(page)
        page.locator("table.kg-table").get_by_role("link", name="田中 花子").click()
        page.wait_for_url(f"**/terminals/{enrolment.pk}/")
        assert page.locator("form[action$='/schedule/']").count() == 0
        found["detail (person)"] = testing.axe_violations(page)

        # The administrator, after the appointment: records it as enrolled.
        testing.browser_sign_in(page, live_server.url, admin)
        _menu(page, "端末・生体認証")
        page.get_by_role("link", name="登録を記録 — 田中 花子").click()
        page.wait_for_url(f"**/terminals/{enrolment.pk}/")
        record = page.get_by_role("button", name="登録済みとして記録する")
        record.click()  # dismissed: recording cannot be undone, so nothing is sent
        page.wait_for_timeout(300)
        enrolment.refresh_from_db()
        assert enrolment.is_pending
        # A time still to come (a slip of the date picker) is refused beside the field, with the clause.
        page.get_by_label("登録完了日時").fill(when.strftime("%Y-%m-%dT%H:%M"))
        record.click()  # accepted
        page.wait_for_selector(".kg-error-summary")
        assert "未来の日時は指定できません。 [A6.4]" in page.locator(".kg-error-summary").inner_text()
        enrolment.refresh_from_db()
        assert enrolment.is_pending
        found["detail (refused)"] = testing.axe_violations(page)
        page.get_by_label("登録完了日時").fill("")  # empty: now
        page.get_by_role("button", name="登録済みとして記録する").click()  # accepted
        page.wait_for_url("**/terminals/")
        assert page.get_by_text("田中 花子の生体情報の登録完了を記録しました。").is_visible()
        found["list (recorded)"] = testing.axe_violations(page)

        # The person: done on the list, no longer pending on the home page.
        testing.browser_sign_in(page, live_server.url, clerk)
        _menu(page, "端末・生体認証")
        row = page.locator("table.kg-table tbody tr").first
        assert "登録済み" in row.inner_text()
        page.goto("/")
        assert page.locator("#tile-my_pending_enrolment").count() == 0
        found["home (person, done)"] = testing.axe_violations(page)

    enrolment.refresh_from_db()
    assert enrolment.completed_at is not None and not enrolment.is_pending
    assert BiometricEnrolment.objects.pending().count() == 1  # the other unit's is untouched
    assert Notification.objects.filter(
        recipient=world.people["jinji_clerk"], clause="A6.4", subject__contains=PLACE
    ).exists()
    assert asked == ["田中 花子の生体情報の登録完了を記録しますか。取り消すことはできません。"] * 3
    assert {k: v for k, v in found.items() if v} == {}
