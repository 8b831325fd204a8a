"""A system's password policy in a real browser (Debian's Chromium through Playwright): the core
package's administrator opens パスワード → パスワードポリシー, makes passwords longer and their change
period shorter (A8.6, A8.7); the 人事係 clerk then changes their own password on 自分のパスワード: one
that breaks the new minimum length is refused with the rule's message beside the field, and one
that keeps it is accepted and falls due after the new period.

Every journey page is checked with axe-core (no serious or critical violation). Needs
/usr/bin/chromium; never ``playwright install``."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.urls import reverse
from django.utils import timezone

from kengen import testing
from kengen.core.era import wareki_datetime
from kengen.credentials.tests.helpers import STRONG, issue_and_reveal

pytestmark = [
    pytest.mark.skipif(not os.path.exists(testing.CHROMIUM), reason="Debian's chromium is not installed"),
    pytest.mark.django_db(transaction=True),
]

TOO_SHORT = "amber tide 8 window"  # 19 characters: strong enough for 12, not for 20
LONG_ENOUGH = "amber tide 88 window over sky"


@pytest.mark.clause("A8.6")
@pytest.mark.clause("A8.7")
def test_administrator_tightens_the_policy_and_the_clerks_short_password_is_refused(core, live_server):
    from kengen.credentials.models import Credential, CredentialPolicy
    from kengen.credentials.services import password_change

    clerk = core.users["jinji_clerk"]
    password_change(
        actor=clerk, account=core.account, current=issue_and_reveal(core, core.account), new=STRONG
    )
    before = Credential.objects.get(account=core.account)
    found: dict[str, list[str]] = {}
    with testing.chromium_page(live_server.url) as page:
        # The administrator: パスワード → COKAS-R/ADⅡ — パスワードポリシー.
        testing.browser_sign_in(page, live_server.url, core.users["joho_head"])
        page.goto("/")
        page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="パスワード").click()
        page.wait_for_url(f"**{reverse('credentials:list')}")
        page.locator("li", has_text="COKAS-R/ADⅡ").get_by_role("link", name="パスワードポリシー").click()
        page.wait_for_url(f"**{reverse('credentials:policy', args=[core.core_system.pk])}")
        assert page.get_by_label("最小文字数").input_value() == "12"
        found["policy"] = testing.axe_violations(page)
        page.get_by_label("最小文字数").fill("20")
        page.get_by_label("変更間隔(日数、第8条第7項)").fill("0")  # a change period cannot be switched off
        page.get_by_role("button", name="保存", exact=True).click()
        page.wait_for_selector(".kg-error-summary")
        assert CredentialPolicy.objects.get(system=core.core_system).min_length == 12
        found["policy refused"] = testing.axe_violations(page)
        page.get_by_label("最小文字数").fill("20")
        page.get_by_label("変更間隔(日数、第8条第7項)").fill("30")
        page.get_by_role("button", name="保存", exact=True).click()
        page.wait_for_load_state()
        assert page.get_by_text("COKAS-R/ADⅡのパスワードポリシーを保存しました。").is_visible()
        assert page.get_by_label("最小文字数").input_value() == "20"
        assert page.get_by_label("変更間隔(日数、第8条第7項)").input_value() == "30"
        found["policy saved"] = testing.axe_violations(page)

        # The clerk: 自分のパスワード → 変更.
        testing.browser_sign_in(page, live_server.url, clerk)
        page.goto("/")
        page.get_by_role("link", name="自分のパスワード").click()
        page.wait_for_url(f"**{reverse('credentials:mine')}")
        found["mine"] = testing.axe_violations(page)
        page.get_by_role("row", name="COKAS-R/ADⅡ").get_by_role("link", name="変更").click()
        page.wait_for_url(f"**{reverse('credentials:change', args=[core.account.pk])}")
        assert page.get_by_text("20文字以上。", exact=False).is_visible()  # the new rule, told before
        found["change"] = testing.axe_violations(page)
        page.get_by_label("現在のパスワード").fill(STRONG)
        page.locator("#id_new_password").fill(TOO_SHORT)
        page.locator("#id_new_password_confirm").fill(TOO_SHORT)
        page.get_by_role("button", name="パスワードの変更").click()
        page.wait_for_selector(".kg-error-summary")
        message = f"パスワードが短すぎます。20文字以上にしてください(現在{len(TOO_SHORT)}文字)。"
        assert message in page.locator(".kg-error-summary").inner_text()
        assert message in page.locator(".kg-field--error").first.inner_text()  # beside the field
        assert TOO_SHORT not in page.content()  # never shown back
        assert Credential.objects.get(account=core.account).changed_at == before.changed_at
        found["refused"] = testing.axe_violations(page)

        page.get_by_label("現在のパスワード").fill(STRONG)
        page.locator("#id_new_password").fill(LONG_ENOUGH)
        page.locator("#id_new_password_confirm").fill(LONG_ENOUGH)
        page.get_by_role("button", name="パスワードの変更").click()
        page.wait_for_url(f"**{reverse('credentials:mine')}")
        assert page.get_by_text("COKAS-R/ADⅡのJINJI001のパスワードを変更しました。").is_visible()
        after = Credential.objects.get(account=core.account)
        assert after.expires_at - after.changed_at == dt.timedelta(days=30)  # the new period
        due = page.get_by_role("row", name="COKAS-R/ADⅡ").locator("td").nth(2).inner_text()
        assert due == wareki_datetime(timezone.localtime(after.expires_at))
        found["changed"] = testing.axe_violations(page)

    policy = CredentialPolicy.objects.get(system=core.core_system)
    assert (policy.min_length, policy.max_age_days) == (20, 30)
    assert {k: v for k, v in found.items() if v} == {}
