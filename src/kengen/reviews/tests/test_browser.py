"""An officer's review journey in a real browser (Debian's Chromium via Playwright): open the check
from the list, see their people × permissions matrix, keep an unchanged person in bulk, revoke one
permission with a reason, print the check sheet; the administrator finalizes. Skipped when
/usr/bin/chromium is missing."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.utils import timezone

from kengen import testing
from kengen.personnel.tests.test_browser import sign_in

pytestmark = [
    pytest.mark.skipif(not os.path.exists(testing.CHROMIUM), reason="Debian's chromium is not installed"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def browser_page(live_server):
    with testing.chromium_page(live_server.url) as page:
        yield page


@pytest.mark.clause("A5.10")
@pytest.mark.clause("A5.11")
def test_officer_reviews_their_section_and_the_administrator_finalizes(world, browser_page):
    from kengen.grants.choices import GrantBasis
    from kengen.grants.models import Grant
    from kengen.grants.services import account_create, grant_create
    from kengen.reviews.models import ReviewItem
    from kengen.reviews.services import campaign_open
    from kengen.testing import START, staff

    system = world.system("JUKI", "住基照会")
    second = staff(world.kazei, family="山本", given="三郎")
    grants = {}
    for person, uid in ((world.people["kazei_clerk"], "u-kazei"), (second, "u-yamamoto")):
        acct = account_create(actor=None, system=system, user_id=uid, person=person, valid_from=START)
        grants[uid] = grant_create(
            actor=None,
            account=acct,
            permission=system.permissions.get(code="update"),
            valid_from=START,
            basis=GrantBasis.APPLICATION,
            basis_reference="R6-001",
        )
    today = timezone.localdate()
    campaign = campaign_open(
        actor=world.users["shokuin_head"],
        title="令和7年度 住基照会 正当性確認",
        systems=[system],
        as_of=today,
        deadline=today + dt.timedelta(days=14),
    )

    page = browser_page
    sign_in(page, "shiminzei-head")
    page.goto("/reviews/")
    page.get_by_role("link", name="令和7年度 住基照会 正当性確認").click()
    page.wait_for_selector("#matrix")
    matrix = page.locator("#matrix").inner_text()
    assert "伊藤" in matrix and "山本" in matrix and "田中" not in matrix
    assert testing.axe_violations(page) == []
    # Keep the first person in bulk (unchanged since the last check: there was none).
    clerk = world.people["kazei_clerk"]
    page.locator(f"#person-{clerk.pk} button:has-text('変更なし')").first.click()
    page.wait_for_selector(".kg-notice, [role=status], #matrix")
    item = ReviewItem.objects.get(campaign=campaign, grant=grants["u-kazei"])
    assert item.decision == "keep"
    # Revoke the other one with a reason.
    other = ReviewItem.objects.get(campaign=campaign, grant=grants["u-yamamoto"])
    page.select_option(f"#d-{other.pk}", "revoke")
    page.fill(f"#r-{other.pk}", "担当業務の変更")
    page.locator(f"#item-{other.pk} button[type=submit]").click()
    page.wait_for_selector(f"#item-{other.pk} .kg-decision")
    assert "担当業務の変更" in page.locator(f"#item-{other.pk}").inner_text()
    # The check sheet prints.
    response = page.request.get(f"/reviews/{campaign.pk}/check-sheet.pdf")
    assert response.ok and response.body().startswith(b"%PDF")

    # The administrator finalizes; the revocation goes through the grant services.
    page.context.clear_cookies()
    sign_in(page, "shokuin-head")
    page.goto("/")
    assert page.locator("#chart-reviews svg").count() == 1  # the dashboard's progress chart
    assert testing.axe_violations(page) == []
    page.goto(f"/reviews/{campaign.pk}/")
    page.locator("form[action$='/finalize/'] button").click()
    page.wait_for_selector("#campaign-status")
    assert Grant.objects.get(pk=grants["u-yamamoto"].pk).valid_to == today
    assert Grant.objects.get(pk=grants["u-kazei"].pk).valid_to is None
