"""Each role's main journeys in a real browser (Debian's Chromium through Playwright), issue 11:
officer: Form 1 draft → edit → submit → PDF; administrator: return an application (Form 1 has no
partial registration — the page says why) and register its corrected copy; temporary password
issue → reveal once → second reveal refused; maintenance ID password shown once; viewing-ID lend →
reveal → return; staff changes their own password; configurator resets one. Every journey page is
checked with axe-core (no serious or critical violation), and every confirmation dialog is
answered (``confirm.js``: the CSP forbids inline scripts).

Needs /usr/bin/chromium; never ``playwright install``. A failing test leaves a screenshot in
test-artifacts/screenshots/ (``testing.chromium_page``)."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from kengen import testing

pytestmark = [
    pytest.mark.skipif(not os.path.exists(testing.CHROMIUM), reason="Debian's chromium is not installed"),
    pytest.mark.django_db(transaction=True),
]

FROM = dt.date(2024, 5, 1)


def _as(page, live_server, user) -> None:
    """Sign ``user`` in on the browser as a finished sign-in (second factor passed, A9 done)."""
    testing.browser_sign_in(page, live_server.url, user)


def _axe(page, found: dict, name: str) -> None:
    found[name] = testing.axe_violations(page)


_answer_dialogs = testing.answer_dialogs


def _draft(world, tax, people):
    from kengen.applications.services import LineSpec, application_create

    return application_create(
        actor=world.users["shokuin_head"],
        organization=world.shokuin,
        system=tax,
        lines=[
            LineSpec(person=p, system=tax, permissions=[tax.permissions.get(code="inquiry")], valid_from=FROM)
            for p in people
        ],
        reason="窓口業務のため",
    )


@pytest.mark.clause("A5.2")
@pytest.mark.clause("F1")
def test_officer_drafts_edits_submits_and_prints_a_form1(world, live_server):
    from kengen.applications.models import Application

    _core, tax = world.core()
    found: dict = {}
    asked: list[str] = []
    with testing.chromium_page(live_server.url) as page:
        _as(page, live_server, world.users["shokuin_head"])
        _answer_dialogs(page, [False, True], asked)
        page.goto(f"/applications/new/?system={tax.pk}")
        _axe(page, found, "new")
        page.get_by_label("田中 花子", exact=False).check()
        page.locator("input[name=permissions]").first.check()
        page.fill("#id_valid_from", FROM.isoformat())
        page.fill("#id_reason", "窓口業務の担当替えのため")
        page.locator("form.kg-form button[type=submit]").first.click()
        page.wait_for_url("**/applications/*/")
        app = Application.objects.get()
        _axe(page, found, "draft")

        page.locator(f"a[href='/applications/{app.pk}/edit/']").first.click()
        page.wait_for_url("**/edit/")
        _axe(page, found, "edit")
        assert page.get_by_label("伊藤 次郎", exact=False).count() == 0  # another unit's clerk is not offered
        page.fill("#id_reason", "窓口業務の担当替え（編集済み）")
        page.locator("form.kg-form button[type=submit]").first.click()
        page.wait_for_url(f"**/applications/{app.pk}/")
        app.refresh_from_db()
        assert app.reason == "窓口業務の担当替え（編集済み）"

        submit = page.locator("form[action$='/submit/'] button")
        submit.click()  # dismissed: nothing is sent
        page.wait_for_timeout(300)
        app.refresh_from_db()
        assert app.status == "draft"
        submit.click()  # accepted
        page.wait_for_load_state()
        page.wait_for_selector("text=" + app.number)
        app.refresh_from_db()
        assert app.status == "submitted"
        _axe(page, found, "submitted")
        pdf = page.request.get(f"/applications/{app.pk}/form1.pdf")
        assert pdf.ok and pdf.body().startswith(b"%PDF")
    assert len(asked) == 2
    assert {k: v for k, v in found.items() if v} == {}


@pytest.mark.clause("A5.4")
def test_administrator_returns_an_application_and_registers_the_corrected_copy(world, live_server):
    from kengen.applications.models import Application
    from kengen.applications.services import application_submit

    _core, tax = world.core()
    app = application_submit(
        actor=world.users["shokuin_head"], application=_draft(world, tax, [world.people["jinji_clerk"]])
    )
    found: dict = {}
    asked: list[str] = []
    with testing.chromium_page(live_server.url) as page:
        _answer_dialogs(page, [], asked)
        _as(page, live_server, world.users["joho_head"])
        page.goto(f"/applications/{app.pk}/")
        assert page.locator("#partial-registration").is_visible()  # why not part of it: said on the page
        _axe(page, found, "to decide")
        page.fill("#id_reason", "期間を年度末までにしてください")
        page.locator("form[action$='/reject/'] button").click()
        page.wait_for_load_state()
        app.refresh_from_db()
        assert app.status == "rejected"

        _as(page, live_server, world.users["shokuin_head"])
        page.goto(f"/applications/{app.pk}/")
        page.locator(f"form[action='/applications/{app.pk}/copy/'] button").click()
        page.wait_for_url("**/edit/")
        copy = Application.objects.exclude(pk=app.pk).get()
        page.fill("#id_last_day", "2025-03-31")
        page.locator("form.kg-form button[type=submit]").first.click()
        page.wait_for_url(f"**/applications/{copy.pk}/")
        page.locator("form[action$='/submit/'] button").click()
        page.wait_for_load_state()

        _as(page, live_server, world.users["joho_head"])
        page.goto(f"/applications/{copy.pk}/")
        page.locator("button[form=register-form]").click()
        page.wait_for_load_state()
        page.wait_for_selector(".kg-badge >> nth=0")
        _axe(page, found, "registered")
    copy.refresh_from_db()
    assert copy.status == "registered"
    assert len(asked) >= 3  # reject, submit, register were each confirmed
    assert {k: v for k, v in found.items() if v} == {}


@pytest.mark.clause("A8.2")
@pytest.mark.clause("A8.3")
def test_temporary_password_is_issued_revealed_once_and_refused_the_second_time(world, live_server):
    from kengen.credentials.tests.helpers import hold_in_kengen, personal_account
    from kengen.notifications.models import Notification

    core, tax = world.core()
    hold_in_kengen(world, core)
    account = personal_account(world, core, "jinji_clerk", "JINJI001", perm_system=tax)
    found: dict = {}
    asked: list[str] = []
    with testing.chromium_page(live_server.url) as page:
        _answer_dialogs(page, [], asked)
        _as(page, live_server, world.users["joho_head"])
        page.goto(f"/credentials/accounts/{account.pk}/")
        _axe(page, found, "account")
        page.locator("form[action$='/temporary/'] button").click()
        page.wait_for_load_state()
        link = Notification.objects.get(clause="A8.3").link

        _as(page, live_server, world.users["shokuin_head"])
        page.goto(link)
        page.wait_for_selector("input[name=confirm]", state="attached")
        _axe(page, found, "confirm")
        page.locator("form:has(input[name=confirm]) button[type=submit]").click()
        page.wait_for_selector("output.kg-secret")
        assert page.locator("output.kg-secret").inner_text().strip()
        _axe(page, found, "revealed")
        # The link again (a real navigation, not a same-page fragment change): refused.
        page.goto("/")
        page.goto(link)
        page.wait_for_load_state()
        if page.locator("input[name=confirm]").count():
            page.locator("form:has(input[name=confirm]) button[type=submit]").click()
            page.wait_for_load_state()
        assert page.locator("output.kg-secret").count() == 0  # the second reveal is refused
    assert {k: v for k, v in found.items() if v} == {}


@pytest.mark.clause("A8.8")
def test_maintenance_password_is_shown_once_and_the_page_after_it_still_posts(world, live_server):
    from django.utils import timezone

    from kengen.contractors.services import contractor_create
    from kengen.credentials.tests.helpers import hold_in_kengen
    from kengen.grants.services import maintenance_account_register
    from kengen.people.choices import PersonKind
    from kengen.people.services import person_create

    core, tax = world.core()
    hold_in_kengen(world, core)
    engineer = person_create(
        actor=None,
        family_name="保守",
        given_name="太郎",
        family_name_kana="ホシュ",
        given_name_kana="タロウ",
        kind=PersonKind.MAINTENANCE,
        contractor=contractor_create(actor=None, name="北見システム保守株式会社"),
    )
    testing.maintenance_contract(
        engineer,
        [core],
        organization=world.joho,
        officer=world.users["joho_head"],
        it_head=world.users["joho_head"],
    )
    maintenance_account_register(
        actor=world.users["joho_head"],
        person=engineer,
        system=core,
        user_id="M0001",
        permissions=[tax.permissions.get(code="inquiry")],
        valid_from=testing.START,
        valid_to=timezone.localdate() + dt.timedelta(days=30),
    )
    account = engineer.accounts.get()
    found: dict = {}
    with testing.chromium_page(live_server.url) as page:
        _answer_dialogs(page, [], [])
        _as(page, live_server, world.users["joho_head"])
        page.goto(f"/credentials/accounts/{account.pk}/")
        page.locator("form[action$='/maintenance/'] button").click()
        page.wait_for_selector("output.kg-secret")
        assert page.locator("output.kg-secret").inner_text().strip()
        _axe(page, found, "maintenance secret")
        # Sign out from the secret page: a POST that "no-referrer" used to break (403 CSRF).
        page.locator("form[action='/logout/'] button").first.click()
        page.wait_for_load_state()
        assert "/login/" in page.url or page.locator("#id_username").count()
    assert {k: v for k, v in found.items() if v} == {}


@pytest.mark.clause("A11.2")
@pytest.mark.clause("A11.4")
def test_viewing_id_is_lent_revealed_and_returned(world, live_server):
    from kengen.credentials.tests.helpers import hold_in_kengen
    from kengen.viewing.services import viewing_id_create, viewing_request

    core, tax = world.core()
    hold_in_kengen(world, core)
    viewing_id_create(
        actor=world.users["joho_head"],
        system=core,
        user_id="VIEW01",
        holder_organization=world.kazei,
        permissions=[tax.permissions.get(code="inquiry")],
        valid_from=testing.START,
    )
    lending = viewing_request(
        actor=world.users["jinji_clerk"], holder_organization=world.kazei, purpose="扶養控除の確認"
    )
    found: dict = {}
    with testing.chromium_page(live_server.url) as page:
        _answer_dialogs(page, [], [])
        _as(page, live_server, world.users["shiminzei_head"])
        page.goto(f"/viewing/{lending.pk}/")
        _axe(page, found, "request")
        page.locator("form[action$='/lend/'] button[type=submit]").click()
        page.wait_for_selector("output.kg-secret")
        assert page.locator("output.kg-secret").inner_text().strip()
        _axe(page, found, "lent")
        page.locator("a.kg-button").last.click()  # "I have noted it": back to the lending
        page.wait_for_url(f"**/viewing/{lending.pk}/")
        page.locator("form[action$='/return/'] button").click()
        page.wait_for_load_state()
        page.wait_for_timeout(300)
    lending.refresh_from_db()
    assert lending.status == "returned"
    assert {k: v for k, v in found.items() if v} == {}


@pytest.mark.clause("A8.6")
def test_staff_member_changes_their_own_password_and_signs_in_with_it(world, live_server):
    from kengen.testing import TEST_PASSWORD

    new = "みずうみ の ほとり で 朝ごはん"
    found: dict = {}
    with testing.chromium_page(live_server.url) as page:
        page.set_default_timeout(60_000)
        page.goto("/login/")
        _axe(page, found, "login")
        page.fill("#id_username", "jinji-clerk")
        page.fill("#id_password", TEST_PASSWORD)
        page.locator("form button[type=submit]").last.click()
        page.goto("/")
        if page.locator("#id_agree").count():
            page.check("#id_agree")
            page.locator("form button[type=submit]").last.click()
        page.goto("/me/password/")
        _axe(page, found, "change")
        page.fill("#id_current", TEST_PASSWORD)
        page.fill("#id_new", "password1234")
        page.fill("#id_again", "password1234")
        page.locator("form.kg-form button[type=submit]").click()
        page.wait_for_selector(".kg-error-summary")  # refused (A8.6): summary at the top, beside the field
        assert page.locator("#id_new_error1, .kg-field--error").count()
        _axe(page, found, "refused")
        page.fill("#id_current", TEST_PASSWORD)
        page.fill("#id_new", new)
        page.fill("#id_again", new)
        page.locator("form.kg-form button[type=submit]").click()
        page.wait_for_url("**/me/")
        page.locator("form[action='/logout/'] button").first.click()
        page.wait_for_load_state()
        page.goto("/login/")
        page.fill("#id_username", "jinji-clerk")
        page.fill("#id_password", new)
        page.locator("form button[type=submit]").last.click()
        page.wait_for_load_state()
        assert "/login/" not in page.url
    assert {k: v for k, v in found.items() if v} == {}


@pytest.mark.clause("A8.6")
def test_configurator_resets_a_password_and_the_user_must_change_it(world, live_server):
    from kengen.roles.choices import DesignatedRoleKind
    from kengen.roles.services import role_designate

    conf = testing.user_for(None, username="conf")
    role_designate(actor=None, user=conf, role=DesignatedRoleKind.CONFIGURATOR, valid_from=testing.START)
    found: dict = {}
    with testing.chromium_page(live_server.url) as page:
        _answer_dialogs(page, [], [])
        _as(page, live_server, conf)
        page.goto("/manage/passwords/?q=jinji")
        _axe(page, found, "list")
        page.locator("form[action*='/reset/'] button").first.click()
        page.wait_for_selector("#temporary-password")
        temporary = page.locator("#temporary-password").inner_text().strip()
        _axe(page, found, "shown")
        page.context.clear_cookies()
        page.goto("/login/")
        page.fill("#id_username", "jinji-clerk")
        page.fill("#id_password", temporary)
        page.locator("form button[type=submit]").last.click()
        page.goto("/people/")
        page.wait_for_url("**/me/password/")  # nothing else until the password is changed
    assert {k: v for k, v in found.items() if v} == {}
