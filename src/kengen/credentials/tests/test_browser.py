"""Form 2 (別記様式2, A8.1, F2) in a real browser (Debian's Chromium through Playwright): the
security officer drafts a password application for a fiscal-year appointee of their unit and
submits it; the system's administrator finds it waiting, records it as done in the system; the
officer reads the result in the inbox and on the application, and its PDF answers a PDF. Every
journey page is checked with axe-core (no serious or critical violation) and every confirmation
dialog (``confirm.js``) is answered.

Needs /usr/bin/chromium; never ``playwright install``."""

from __future__ import annotations

import os

import pytest

from kengen import testing

pytestmark = [
    pytest.mark.skipif(not os.path.exists(testing.CHROMIUM), reason="Debian's chromium is not installed"),
    pytest.mark.django_db(transaction=True),
]


def _dismiss_then_accept(page, button, app) -> None:
    """Click ``button`` twice: the confirmation is first dismissed (the application stays as it
    was), then accepted. The page's dialogs must be answered ``[False, True]`` here."""
    before = app.status
    button.click()
    page.wait_for_timeout(300)
    app.refresh_from_db()
    assert app.status == before
    button.click()


@pytest.mark.clause("A8.1")
@pytest.mark.clause("F2")
def test_officer_applies_on_form2_for_an_appointee_and_the_administrator_completes_it(hr, live_server):
    from kengen.credentials.choices import ApplicantKind, CredentialEventKind, PasswordApplicationStatus
    from kengen.credentials.models import CredentialEvent, PasswordApplication
    from kengen.notifications.models import Notification

    officer, admin = hr.users["shokuin_head"], hr.users["joho_head"]
    found: dict[str, list[str]] = {}
    asked: list[str] = []
    with testing.chromium_page(live_server.url) as page:
        testing.answer_dialogs(page, [False, True, True], asked)

        # The security officer: パスワード → パスワード申請(別記様式2) → 新しい申請.
        testing.browser_sign_in(page, live_server.url, officer)
        page.goto("/")
        page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="パスワード").click()
        page.get_by_role("link", name="パスワード申請(別記様式2)").click()
        page.wait_for_url("**/credentials/form2/")
        found["list (officer)"] = testing.axe_violations(page)
        page.get_by_role("link", name="新しい申請").click()
        page.wait_for_url("**/credentials/form2/new/")
        found["new"] = testing.axe_violations(page)
        account = page.get_by_label("ユーザID")
        offered = account.locator("option").all_inner_texts()
        assert any("佐々木 京子" in o and "HR002" in o for o in offered)
        assert not any("HR001" in o for o in offered)  # regular staff apply for themselves (A8.1)
        account.select_option(label="佐々木 京子（人事給与システム：HR002）")
        page.get_by_role("radio", name="変更").check()
        page.get_by_label("理由").fill("会計年度任用職員の定期変更のため")
        page.get_by_role("button", name="下書きとして保存").click()
        page.wait_for_url("**/credentials/form2/*/")
        app = PasswordApplication.objects.get()
        assert app.status == PasswordApplicationStatus.DRAFT and app.applicant_kind == ApplicantKind.OFFICER
        assert page.get_by_text(f"申請{app.number}を下書きとして保存しました").is_visible()
        assert page.locator("h1 .kg-badge").inner_text() == "下書き"
        found["draft"] = testing.axe_violations(page)

        _dismiss_then_accept(page, page.locator("#submit-application"), app)
        page.wait_for_selector("h1 .kg-badge:text('申請中')")
        app.refresh_from_db()
        assert app.status == PasswordApplicationStatus.SUBMITTED
        assert page.locator("#submit-application").count() == 0
        found["submitted"] = testing.axe_violations(page)

        # The system's administrator: the list says one waits for them; they open and complete it.
        testing.browser_sign_in(page, live_server.url, admin)
        page.goto("/credentials/form2/")
        waiting = page.locator(".kg-notice", has_text="あなたの処理を待っている申請が1件あります。")
        waiting.get_by_role("link", name="表示する").click()
        page.wait_for_url("**/credentials/form2/?status=submitted")
        found["list (administrator)"] = testing.axe_violations(page)
        page.get_by_role("link", name=app.number).click()
        page.wait_for_url(f"**/credentials/form2/{app.pk}/")
        assert page.get_by_text("佐々木 京子").first.is_visible()
        found["to decide"] = testing.axe_violations(page)
        page.get_by_role("button", name="システムで処理済みとして記録する").click()
        page.wait_for_selector("h1 .kg-badge:text('処理完了')")
        assert page.get_by_text("処理完了として記録しました。申請者に通知しました。").is_visible()
        found["completed"] = testing.axe_violations(page)

        # The officer: told in the inbox, and the application shows the decision.
        testing.browser_sign_in(page, live_server.url, officer)
        page.goto("/")
        page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="受信箱").click()
        notice = page.locator(".kg-inbox > li", has_text=f"パスワード申請{app.number}の処理が完了しました")
        assert notice.count() == 1
        found["inbox"] = testing.axe_violations(page)
        notice.get_by_role("link", name="開く").first.click()
        page.wait_for_url(f"**/credentials/form2/{app.pk}/")
        assert page.locator("h1 .kg-badge").inner_text() == "処理完了"
        assert page.get_by_text("高橋 三郎").first.is_visible()  # decided by the administrator
        found["completed (officer)"] = testing.axe_violations(page)
        with page.expect_response(
            lambda r: r.url.endswith(f"/credentials/form2/{app.pk}/form2.pdf")
        ) as answer:
            page.get_by_role("link", name="別記様式2(PDF)").click()  # opens in Chromium's PDF viewer
        assert answer.value.ok and answer.value.header_value("content-type") == "application/pdf"
        page.wait_for_url(f"**/credentials/form2/{app.pk}/form2.pdf")
        # Chromium shows it in its PDF viewer (the page's body is the viewer then): the bytes, read
        # with the same session, are the PDF.
        assert page.request.get(page.url).body().startswith(b"%PDF")

    app.refresh_from_db()
    assert app.status == PasswordApplicationStatus.COMPLETED and app.decided_by == hr.people["joho_head"]
    event = CredentialEvent.objects.get(account=hr.appointee_account, kind=CredentialEventKind.CHANGED)
    assert event.reference == app.number
    assert Notification.objects.filter(
        clause="A8.1", recipient=hr.people["shokuin_head"], subject__contains=app.number
    ).exists()
    assert len(asked) == 3  # submit (dismissed, then accepted) and the decision were each confirmed
    assert {k: v for k, v in found.items() if v} == {}


@pytest.mark.clause("A8.1")
def test_administrator_rejects_a_form2_with_a_reason_and_the_appointee_reads_it(hr, live_server):
    from kengen.credentials.choices import PasswordApplicationStatus
    from kengen.credentials.models import CredentialEvent
    from kengen.credentials.services import password_application_create, password_application_submit

    officer = hr.users["shokuin_head"]
    app = password_application_submit(
        actor=officer, application=password_application_create(actor=officer, account=hr.appointee_account)
    )
    found: dict[str, list[str]] = {}
    asked: list[str] = []
    with testing.chromium_page(live_server.url) as page:
        testing.answer_dialogs(page, [True, False, True], asked)
        testing.browser_sign_in(page, live_server.url, hr.users["joho_head"])
        page.goto(f"/credentials/form2/{app.pk}/")
        reject = page.get_by_role("button", name="差し戻す", exact=True)
        reject.click()  # no reason: refused, said on the same page
        page.wait_for_selector("text=差し戻す理由を入力してください。")
        assert page.url.endswith(f"/credentials/form2/{app.pk}/")
        found["refused"] = testing.axe_violations(page)
        page.get_by_label("理由").fill("ユーザIDが異なります")
        _dismiss_then_accept(page, reject, app)
        page.wait_for_selector("h1 .kg-badge:text('差戻し')")
        assert page.get_by_text("差し戻しました。申請者に通知しました。").is_visible()

        # The fiscal-year appointee (the system user) is told too and reads why.
        testing.browser_sign_in(page, live_server.url, hr.users["appointee"])
        page.goto("/inbox/")
        notice = page.locator(".kg-inbox > li", has_text=f"パスワード申請{app.number}が差し戻されました")
        assert "理由:ユーザIDが異なります" in notice.inner_text()
        notice.get_by_role("link", name="開く").first.click()
        page.wait_for_url(f"**/credentials/form2/{app.pk}/")
        assert page.locator("h1 .kg-badge").inner_text() == "差戻し"
        assert page.get_by_text("ユーザIDが異なります").is_visible()
        assert page.get_by_role("button", name="差し戻す").count() == 0  # not theirs to decide
        found["rejected (appointee)"] = testing.axe_violations(page)
    app.refresh_from_db()
    assert app.status == PasswordApplicationStatus.REJECTED and app.rejection_reason == "ユーザIDが異なります"
    assert not CredentialEvent.objects.filter(account=hr.appointee_account).exists()
    assert len(asked) == 3
    assert {k: v for k, v in found.items() if v} == {}
