"""The personnel and configuration journeys in a real browser (Debian's Chromium via Playwright):
record a transfer → preview → confirm; register a system with a user-ID pattern; reorganize with
its preview. Skipped when /usr/bin/chromium is missing; never ``playwright install``."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from kengen import testing

pytestmark = [
    pytest.mark.skipif(not os.path.exists(testing.CHROMIUM), reason="Debian's chromium is not installed"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def browser_page(live_server):
    with testing.chromium_page(live_server.url) as page:
        yield page


def sign_in(page, username: str) -> None:
    """Password, then the authenticator app every role holder must set up, then the A9 duties."""
    from kengen.testing import TEST_PASSWORD

    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", TEST_PASSWORD)
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


@pytest.mark.clause("A5.5")
@pytest.mark.clause("A14")
def test_personnel_officer_records_a_transfer_with_preview_and_confirm(world, browser_page):
    from kengen.eligibility.services import eligibility_entry_create
    from kengen.grants.services import grant_direct
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
    page.goto(f"/people/{clerk.pk}/")
    page.locator(f"a[href='/personnel/people/{clerk.pk}/move/']").click()
    page.fill("#id_valid_from", "令和6年10月1日")
    page.select_option("#id_organization", str(world.kazei.pk))
    page.locator("button[value=preview]").click()
    page.wait_for_selector("#direct-revocations")
    assert "COKAS-R/ADⅡ" in page.locator("#direct-revocations").inner_text()
    g.refresh_from_db()
    assert g.valid_to is None  # the preview changed nothing
    page.locator("button[value=confirm]").click()
    page.wait_for_url(f"**/people/{clerk.pk}/")
    g.refresh_from_db()
    assert g.valid_to == dt.date(2024, 10, 1)
    assert "課税係" in page.content() and "人事 担当" in page.content()


@pytest.mark.clause("A14")
@pytest.mark.clause("A3.1")
def test_configurator_registers_a_system_and_reorganizes_with_a_preview(world, browser_page):
    from kengen.organizations.models import Organization
    from kengen.roles.choices import DesignatedRoleKind
    from kengen.roles.services import role_designate
    from kengen.systems.models import System
    from kengen.testing import START, user_for

    conf = user_for(None, username="conf")
    role_designate(actor=None, user=conf, role=DesignatedRoleKind.CONFIGURATOR, valid_from=START)
    page = browser_page
    sign_in(page, "conf")

    page.goto("/configuration/systems/new/")
    page.fill("#id_code", "FUKUSHI")
    page.fill("#id_name", "福祉システム")
    page.select_option("#id_kind", "individual")
    page.select_option("#id_owner", str(world.kazei.pk))
    page.fill("#id_valid_from", "令和6年4月1日")
    page.fill("#id_user_id_pattern", "^f[0-9]{4}$")
    page.fill("#id_permissions", "inquiry,照会")
    page.locator("form.kg-form button[type=submit]").first.click()
    page.wait_for_url("**/configuration/systems/*/")
    system = System.objects.get(code="FUKUSHI")
    assert system.user_id_pattern == "^f[0-9]{4}$"

    page.goto("/configuration/reorganize/")
    page.fill("#id_on", "令和7年4月1日")
    page.select_option("#id_ending", str(world.kazei.pk))
    page.fill("#id_creating", "KAZEI2,市民税係,section,SHIMINZEI,0")
    page.fill("#id_moves", "KAZEI=KAZEI2")
    page.locator("button[value=preview]").click()
    page.wait_for_selector("#systems-moving")
    assert "福祉システム" in page.locator("#systems-moving").inner_text()
    page.locator("button[value=confirm]").click()
    page.wait_for_url("**/configuration/")
    assert System.objects.get(pk=system.pk).owner_on(dt.date(2025, 4, 1)) == Organization.objects.get(
        code="KAZEI2"
    )


@pytest.mark.clause("A14")
def test_configurator_designates_a_personnel_officer_who_then_corrects_a_name(world, live_server):
    """Designate → the new 人事担当 signs in and corrects a staff member's name; both pages pass axe."""
    from kengen.people.models import Person
    from kengen.roles.choices import DesignatedRoleKind
    from kengen.roles.models import DesignatedRole
    from kengen.roles.services import role_designate
    from kengen.testing import START, staff, user_for

    conf = user_for(None, username="conf")
    role_designate(actor=None, user=conf, role=DesignatedRoleKind.CONFIGURATOR, valid_from=START)
    user_for(staff(world.jinji, family="人事", given="新任"), username="hr-new")
    clerk = world.people["kazei_clerk"]

    with testing.chromium_page(live_server.url) as page:
        sign_in(page, "conf")
        page.goto("/configuration/")
        page.locator("a[href='/roles/designations/new/']").first.click()
        assert testing.axe_violations(page) == []
        page.fill("#id_username", "hr-new")
        page.select_option("#id_role", "personnel")
        page.fill("#id_valid_from", "令和6年4月1日")
        page.fill("#id_reason", "辞令")
        page.locator("form.kg-form button[type=submit]").first.click()
        page.wait_for_url("**/roles/")
        assert "hr-new" in page.locator("main").inner_text()
    assert DesignatedRole.objects.filter(user__username="hr-new", role="personnel").exists()

    with testing.chromium_page(live_server.url) as page:
        sign_in(page, "hr-new")
        page.goto(f"/people/{clerk.pk}/")
        page.locator(f"a[href='/personnel/people/{clerk.pk}/details/']").click()
        assert testing.axe_violations(page) == []
        page.fill("#id_family_name", "山本")
        page.fill("#id_family_name_kana", "ヤマモト")
        page.locator("form.kg-form button[type=submit]").first.click()
        page.wait_for_url(f"**/people/{clerk.pk}/")
        assert "山本" in page.locator("h1").inner_text()
    assert Person.objects.get(pk=clerk.pk).family_name == "山本"
