"""Designated roles (A14) in a real browser (Debian's Chromium through Playwright): the Kengen
configuration administrator designates a clerk as auditor on the roles pages; the clerk sees the
role on their home page and reaches what it allows (the applications list); ending the designation
takes both away the next day. Every journey page is checked with axe-core (no serious or critical
violation).

The security officer and the system administrators are not designated: they follow the post a
person heads (A3, A4), so the designations are the auditor, the configuration administrator and
the 人事担当.

Needs /usr/bin/chromium; never ``playwright install``."""

from __future__ import annotations

import datetime as dt
import os
from urllib.parse import urlsplit

import pytest

from kengen import testing

pytestmark = [
    pytest.mark.skipif(not os.path.exists(testing.CHROMIUM), reason="Debian's chromium is not installed"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def configurator(world):
    from kengen.roles.choices import DesignatedRoleKind
    from kengen.roles.services import role_designate

    user = testing.user_for(None, username="conf")
    role_designate(actor=None, user=user, role=DesignatedRoleKind.CONFIGURATOR, valid_from=testing.START)
    return user


def _menu(page):
    return page.get_by_role("navigation", name="メインメニュー")


def _roles_today(page):
    """The texts of the home page's 「本日のあなたの役割」 section."""
    return page.get_by_role("region", name="本日のあなたの役割").inner_text()


@pytest.mark.clause("A14")
def test_configurator_designates_an_auditor_who_sees_the_role_until_it_is_ended(
    world, configurator, live_server
):
    from django.utils import timezone

    from kengen.audit.choices import AuditAction
    from kengen.audit.models import AuditEvent
    from kengen.core.era import wareki
    from kengen.roles.models import DesignatedRole
    from kengen.roles.selectors import scope_for

    clerk = world.users["kazei_clerk"]
    today = timezone.localdate()
    week_ago, yesterday = today - dt.timedelta(days=7), today - dt.timedelta(days=1)
    found: dict[str, list[str]] = {}
    with testing.chromium_page(live_server.url) as page:
        # The clerk holds no role: no applications in the menu.
        testing.browser_sign_in(page, live_server.url, clerk)
        page.goto("/")
        assert "本日、Kengenでの役割はありません" in _roles_today(page)
        assert _menu(page).get_by_role("link", name="申請").count() == 0
        clerk_cookies = page.context.cookies()

        # The configurator: 役割 → 役割を指定, typed as a user types (era dates).
        testing.browser_sign_in(page, live_server.url, configurator)
        page.goto("/")
        _menu(page).get_by_role("link", name="役割", exact=True).click()
        page.wait_for_url("**/roles/")
        found["roles"] = testing.axe_violations(page)
        page.get_by_role("link", name="役割を指定").click()
        page.wait_for_url("**/roles/designations/new/")
        found["designate"] = testing.axe_violations(page)
        page.get_by_label("ログイン名").fill("kazei-clerk")
        page.get_by_role("combobox", name="役割").select_option(label="監査担当者")
        page.get_by_label("開始日").fill(wareki(week_ago, style="short"))
        page.get_by_label("理由").fill("監査担当者の指名(令和8年度)")
        page.get_by_role("button", name="指定する").click()
        page.wait_for_url("**/roles/")
        assert page.get_by_text(
            f"伊藤 次郎 (kazei-clerk)を{wareki(week_ago)}から監査担当者に指定しました。"
        ).is_visible()
        row = page.get_by_role("row").filter(has_text="kazei-clerk")
        assert "監査担当者" in row.inner_text() and "伊藤 次郎" in row.inner_text()
        found["designated"] = testing.axe_violations(page)
        designation = DesignatedRole.objects.get(user=clerk)
        assert (designation.role, designation.valid_from, designation.valid_to, designation.reason) == (
            "auditor",
            week_ago,
            None,
            "監査担当者の指名(令和8年度)",
        )

        # The clerk, still signed in from before: holding a role needs a second factor,
        # asked at once. Once they have one, the role is on their home page.
        page.context.clear_cookies()
        page.context.add_cookies(clerk_cookies)
        page.goto("/")
        page.wait_for_url("**/security/**")
        assert page.get_by_text("続けるには2段階認証を設定してください").is_visible()
        clerk = type(clerk).objects.get(pk=clerk.pk)  # a fresh user: scopes are kept per instance
        testing.browser_sign_in(page, live_server.url, clerk)
        page.goto("/")
        assert "監査担当者" in _roles_today(page)
        found["home (auditor)"] = testing.axe_violations(page)
        _menu(page).get_by_role("link", name="申請").click()
        page.wait_for_url("**/applications/")
        assert page.locator("h1").inner_text().strip() == "申請(別記様式1)"
        found["applications (auditor)"] = testing.axe_violations(page)

        # The configurator ends it: yesterday was the last day.
        testing.browser_sign_in(page, live_server.url, configurator)
        page.goto("/roles/")
        page.get_by_role("row").filter(has_text="kazei-clerk").get_by_role("link", name="終了").click()
        page.wait_for_url(f"**/roles/designations/{designation.pk}/end/")
        assert page.locator("h1").inner_text().strip() == "伊藤 次郎 (kazei-clerk)の監査担当者の指定を終了"
        found["end"] = testing.axe_violations(page)
        page.get_by_label("最終日").fill(wareki(yesterday, style="short"))
        page.get_by_role("button", name="指定を終了").click()
        page.wait_for_url("**/roles/")
        assert page.get_by_text(f"監査担当者の指定は{wareki(yesterday)}までです。").is_visible()
        assert page.get_by_role("row").filter(has_text="kazei-clerk").count() == 0  # not held today
        found["ended"] = testing.axe_violations(page)

        # The clerk: the role is gone from home and the menu.
        clerk = type(clerk).objects.get(pk=clerk.pk)
        testing.browser_sign_in(page, live_server.url, clerk)
        page.goto("/")
        assert "監査担当者" not in _roles_today(page)
        assert "本日、Kengenでの役割はありません" in _roles_today(page)
        assert _menu(page).get_by_role("link", name="申請").count() == 0
        found["home (after)"] = testing.axe_violations(page)

    designation.refresh_from_db()
    assert designation.valid_to == today
    clerk = type(clerk).objects.get(pk=clerk.pk)
    assert scope_for(clerk, on=yesterday).is_auditor and not scope_for(clerk, on=today).is_auditor
    events = AuditEvent.objects.filter(actor_id=configurator.pk, target_id=str(designation.pk))
    assert set(events.values_list("action", flat=True)) == {
        AuditAction.ROLE_DESIGNATED,
        AuditAction.ROLE_DESIGNATION_ENDED,
    }
    assert {k: v for k, v in found.items() if v} == {}


@pytest.mark.clause("A14")
def test_designation_mistakes_are_said_beside_the_fields_and_a_personnel_officer_is_designated_for_a_period(
    world, configurator, live_server
):
    from django.utils import timezone

    from kengen.core.era import wareki
    from kengen.roles.models import DesignatedRole

    today = timezone.localdate()
    last_day = today + dt.timedelta(days=30)
    found: dict[str, list[str]] = {}
    with testing.chromium_page(live_server.url) as page:
        testing.browser_sign_in(page, live_server.url, configurator)
        page.goto("/roles/designations/new/")
        assert page.get_by_label("開始日").input_value() == wareki(today)  # today, in the era
        page.get_by_label("ログイン名").fill("kazei-cleark")  # mistyped
        page.get_by_role("combobox", name="役割").select_option(label="人事担当")
        page.get_by_label("最終日").fill(wareki(today - dt.timedelta(days=1), style="short"))
        page.get_by_role("button", name="指定する").click()
        summary = page.get_by_role("alert").filter(has_text="次の項目を修正してください")
        summary.wait_for()
        assert "そのログイン名のKengenのログインはありません。" in summary.inner_text()
        assert "最終日が開始日より前です。" in summary.inner_text()
        found["refused"] = testing.axe_violations(page)
        summary.get_by_role("link", name="ログイン名: そのログイン名のKengenのログインはありません。").click()
        assert page.evaluate("document.activeElement.id") == "id_username"
        assert not DesignatedRole.objects.filter(role="personnel").exists()

        page.get_by_label("ログイン名").fill("kazei-clerk")
        page.get_by_label("最終日").fill(wareki(last_day, style="short"))
        page.get_by_role("button", name="指定する").click()
        # Back on the list (Chromium keeps the #id_username the summary link added across the redirect).
        page.wait_for_url(lambda url: urlsplit(url).path == "/roles/")
        assert page.get_by_text(
            f"伊藤 次郎 (kazei-clerk)を{wareki(today)}から人事担当に指定しました。"
        ).is_visible()
        row = page.get_by_role("row").filter(has_text="kazei-clerk")
        assert "人事担当" in row.inner_text() and wareki(last_day) in row.inner_text()
        found["designated"] = testing.axe_violations(page)

        # The 人事担当 sees the role and reaches the scheduled personnel changes.
        clerk = world.users["kazei_clerk"]
        testing.browser_sign_in(page, live_server.url, clerk)
        page.goto("/")
        assert "人事担当" in _roles_today(page)
        _menu(page).get_by_role("link", name="予定されている変更").click()
        page.wait_for_url("**/personnel/**")
        found["scheduled changes"] = testing.axe_violations(page)

    designation = DesignatedRole.objects.get(user=world.users["kazei_clerk"])
    assert (designation.role, designation.valid_from) == ("personnel", today)
    assert designation.valid_to == last_day + dt.timedelta(days=1)  # the first day it no longer holds
    assert {k: v for k, v in found.items() if v} == {}
