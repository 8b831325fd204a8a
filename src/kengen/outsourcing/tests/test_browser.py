"""The outsourcing journey in a real browser (Debian's Chromium via Playwright): the security
officer registers a contract, drafts and submits the consultation; the IT division head answers;
the officer activates the contract. Skipped when /usr/bin/chromium is missing."""

from __future__ import annotations

import os

import pytest

from kengen import testing
from kengen.outsourcing.choices import ConsultationAnswer, ContractStatus
from kengen.outsourcing.models import Consultation, Contract

pytestmark = [
    pytest.mark.skipif(not os.path.exists(testing.CHROMIUM), reason="Debian's chromium is not installed"),
    pytest.mark.django_db(transaction=True),
]


def sign_in(page, username: str) -> None:
    """Password, the authenticator app every role holder sets up, then the A9 duties."""
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", testing.TEST_PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.goto("/me/security/authenticator/")
    secret = page.locator("output.kg-secret").inner_text()
    page.fill("#id_code", testing.totp_from_secret(secret))
    page.locator("form:has(#id_code) button[type=submit]").click()
    page.locator("a.kg-button").first.click()
    page.goto("/")
    if page.locator("#id_agree").count():
        page.check("#id_agree")
        page.locator("form button[type=submit]").last.click()


@pytest.mark.clause("A12.2")
@pytest.mark.clause("A12.1")
def test_register_consult_answer_activate(out, live_server):
    with testing.chromium_page(live_server.url) as page:
        page.on("dialog", lambda dialog: dialog.accept())  # confirm.js asks before submitting
        page.set_default_timeout(60_000)  # two cores shared by the whole test run
        sign_in(page, "shokuin-head")
        page.goto("/outsourcing/")
        page.get_by_role("link", name="業務委託契約を登録").click()
        page.select_option("#id_contractor", str(out.contractor.pk))
        page.fill("#id_title", "人事給与システム保守")
        page.select_option("#id_work", "maintenance")
        page.check(f"input[name=systems][value='{out.jinji_system.pk}']")
        page.select_option("#id_organization", str(out.world.shokuin.pk))
        page.fill("#id_valid_from", "2024-04-01")
        page.fill("#id_last_day", "2028-03-31")
        page.locator("form.kg-form button[type=submit]").first.click()
        page.wait_for_selector("#contract-status")
        contract = Contract.objects.get(title="人事給与システム保守")
        assert page.url.endswith(f"/outsourcing/contracts/{contract.pk}/")

        page.locator("#activate").click()  # refused: not consulted yet (A12.2)
        page.wait_for_selector(".kg-notice, [role=alert], .kg-messages")
        assert "[A12.2]" in page.content()
        assert Contract.objects.get(pk=contract.pk).status == ContractStatus.DRAFT

        page.fill("#id_reason", "人事給与システムの保守を委託する。")
        page.get_by_role("button", name="協議書を作成").click()
        page.wait_for_url("**/outsourcing/consultations/*/")
        page.get_by_role(
            "button", name="情報システム課長に協議する"
        ).click()  # the addressee, not "the administrator"
        app = Consultation.objects.get(contract=contract)
        page.wait_for_selector("text=申請中")

        officer_page = page
        head_context = page.context.browser.new_context(locale="ja-JP", base_url=live_server.url)
        page = head_context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        page.set_default_timeout(60_000)
        sign_in(page, "joho-head")  # 情報システム課長, the IT division head, in a browser of their own
        page.goto("/outsourcing/consultations/?status=submitted")
        page.get_by_role("link", name=app.number).click()
        page.check(f"input[name=answer][value='{ConsultationAnswer.AGREE_WITH_CONDITIONS}']")
        page.fill("#id_comment", "年1回、対策の実施状況を報告させること。")
        page.get_by_role("button", name="回答を記録").click()
        page.wait_for_selector("#answer")
        assert "条件付き同意" in page.locator("#answer").inner_text()
        assert testing.axe_violations(page) == []

        head_context.close()
        page = officer_page  # the officer is still signed in
        page.goto(f"/outsourcing/contracts/{contract.pk}/")
        page.locator("#activate").click()
        page.wait_for_selector("#contract-status:has-text('有効')")
        assert Contract.objects.get(pk=contract.pk).status == ContractStatus.ACTIVE
        assert testing.axe_violations(page) == []  # the contract page with its checklist forms
        page.goto("/outsourcing/matrix/")
        assert testing.axe_violations(page) == []

        # The contract is changed after registration: its last day and kind of work (A12.1).
        page.goto(f"/outsourcing/contracts/{contract.pk}/")
        page.locator("#edit-contract").click()
        page.wait_for_url(f"**/outsourcing/contracts/{contract.pk}/edit/")
        assert testing.axe_violations(page) == []
        page.select_option("#id_work", "operation")
        page.fill("#id_last_day", "2027-03-31")
        page.locator("#save-contract").click()
        page.wait_for_url(f"**/outsourcing/contracts/{contract.pk}/")
        page.wait_for_selector("text=契約を変更しました")
        changed = Contract.objects.get(pk=contract.pk)
        assert changed.work == "operation" and str(changed.last_day) == "2027-03-31"


@pytest.mark.clause("A5.9")
@pytest.mark.clause("A8.8")
def test_administrator_registers_a_maintenance_id_for_a_contracts_staff_member(out, live_server):
    """The registration page offers nobody until the staff member is on an active contract
    covering the system; its notice leads to the contract, where they are added; back on the
    page they are offered with the contract and its last day, and registered."""
    import datetime as dt

    from django.test import Client
    from django.utils import timezone

    from kengen.grants.models import Account
    from kengen.outsourcing import services as svc
    from kengen.outsourcing.tests.conftest import period

    admin = out.it_head  # 情報システム課長: security officer of 情報システム課 and the core's administrator
    start, end = period()
    contract = svc.contract_create(
        actor=admin,
        contractor=out.contractor,
        title="基幹系システム保守",
        work="maintenance",
        systems=[out.core],
        organization=out.world.joho,
        valid_from=start,
        valid_to=end,
    )
    consultation = svc.consultation_create(actor=admin, contract=contract, reason="保守業務の委託")
    svc.consultation_submit(actor=admin, application=consultation)
    svc.consultation_complete(actor=admin, application=consultation, answer="agree")
    svc.contract_activate(actor=admin, contract=contract)
    today = timezone.localdate()
    last_day = today + dt.timedelta(days=90)

    client = Client()
    testing.login(client, admin)
    with testing.chromium_page(live_server.url) as page:
        page.on("dialog", lambda dialog: dialog.accept())  # confirm.js asks before submitting
        page.set_default_timeout(60_000)
        page.context.add_cookies(
            [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
        )
        page.goto(f"/management-file/maintenance/new/?system={out.core.pk}")
        notice = page.locator(".kg-notice--warning")
        assert "基幹系システム保守" in notice.inner_text()  # nobody eligible: the way to the contract
        assert page.locator("#id_person option").count() == 1  # only "—"
        assert testing.axe_violations(page) == []
        notice.get_by_role("link", name="基幹系システム保守").click()
        page.wait_for_url(lambda url: f"/outsourcing/contracts/{contract.pk}/#staff" in url)
        page.select_option("#id_person", str(out.engineer.pk))
        page.get_by_role("button", name="契約に追加").click()
        page.wait_for_selector(f"#staff ~ .kg-table-wrap >> text={out.engineer.full_name}")

        page.goto(f"/management-file/maintenance/new/?system={out.core.pk}")
        assert page.locator(".kg-notice--warning").count() == 0
        option = page.locator(f"#id_person option[value='{out.engineer.pk}']")
        label = option.inner_text()
        assert out.engineer.full_name in label and "基幹系システム保守" in label
        assert testing.axe_violations(page) == []
        page.select_option("#id_person", str(out.engineer.pk))
        page.fill("#id_user_id", "M0100")
        page.check(f"input[name=permissions][value='{out.tax.permissions.get(code='inquiry').pk}']")
        page.fill("#id_valid_from", today.isoformat())
        page.fill("#id_last_day", last_day.isoformat())
        page.locator("form.kg-form button[type=submit]").click()
        page.wait_for_url("**/management-file/maintenance/")
        assert "M0100" in page.content()
    account = Account.objects.get(user_id="M0100")
    assert account.person == out.engineer and account.valid_to == last_day + dt.timedelta(days=1)
