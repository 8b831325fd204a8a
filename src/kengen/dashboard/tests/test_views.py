import datetime as dt
import re

import pytest
from django.urls import reverse

from kengen.grants.choices import GrantBasis
from kengen.grants.services import account_create, grant_create
from kengen.testing import START, login

pytestmark = pytest.mark.django_db


def test_dashboard_sends_anonymous_visitors_to_sign_in(client):
    response = client.get(reverse("dashboard:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("users:login"))


def test_dashboard_greets_the_officer_and_lists_their_roles(world, client):
    login(client, world.users["shokuin_head"])
    response = client.get(reverse("dashboard:home"))
    body = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="ja">' in body
    assert '<meta charset="utf-8">' in body
    assert "佐藤 一郎" in body
    assert "総務部職員課" in body  # security officer of that unit
    assert "Kengen" in body and "権限管理" in body


def test_dashboard_counts_only_what_the_officer_may_see(world, client):
    system = world.system("HR", "人事給与システム", owner=world.joho)
    perm = system.permissions.get(code="inquiry")
    for key in ("jinji_clerk", "kazei_clerk"):
        account = account_create(
            actor=None, system=system, user_id=key, person=world.people[key], valid_from=START
        )
        grant_create(
            actor=None,
            account=account,
            permission=perm,
            valid_from=START,
            basis=GrantBasis.INITIAL_LOAD,
        )
    login(client, world.users["shokuin_head"])
    counts = client.get(reverse("dashboard:home")).context["counts"]
    assert counts["people_in_my_units"] == 2  # the head and 人事係's clerk; not 市民税課
    assert counts["ending_soon"] == 0
    login(client, world.users["joho_head"])  # administers HR: sees both grants
    assert client.get(reverse("dashboard:home")).context["counts"]["grants_on_my_systems"] == 2


def test_dashboard_counts_fiscal_year_grants_ending_this_year(world, client):
    from django.utils import timezone

    from kengen.core.dates import fiscal_year_end
    from kengen.testing import staff

    today = timezone.localdate()
    fy_start = dt.date(fiscal_year_end(today).year - 1, 4, 1)
    appointee = staff(world.kazei, employment_type="fy_part_time", valid_from=fy_start)
    system = world.system("HR", "人事給与システム", owner=world.shiminzei)
    account = account_create(actor=None, system=system, user_id="fy1", person=appointee, valid_from=fy_start)
    grant_create(
        actor=None,
        account=account,
        permission=system.permissions.get(code="inquiry"),
        valid_from=fy_start,
        valid_to=fiscal_year_end(today),
        basis=GrantBasis.INITIAL_LOAD,
    )
    login(client, world.users["shiminzei_head"])
    response = client.get(reverse("dashboard:home"))
    assert response.context["counts"]["fiscal_year_ending"] == 1

    # The count links to the list it counts, with the filter applied: the same one row.
    url = response.context["fiscal_year_url"]
    assert f'href="{url.replace("&", "&amp;")}"' in response.content.decode()
    listing = client.get(url)
    assert listing.context["count"] == 1
    assert "fy1" in listing.content.decode()
    # … and the 30-day count links to a list as long as it says.
    url = response.context["ending_soon_url"]
    assert client.get(url).context["count"] == response.context["counts"]["ending_soon"]


def test_language_switch_to_english(world, client):
    login(client, world.users["jinji_clerk"])
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    body = client.get(reverse("dashboard:home")).content.decode()
    assert '<html lang="en">' in body
    assert "Hello" in body
    assert "Management file" in body
    client.post("/i18n/setlang/", {"language": "ja", "next": "/"})
    body = client.get(reverse("dashboard:home")).content.decode()
    assert '<html lang="ja">' in body
    assert "管理ファイル" in body


def test_pages_carry_the_accessibility_landmarks(world, client):
    login(client, world.users["jinji_clerk"])
    body = client.get(reverse("dashboard:home")).content.decode()
    assert 'href="#main"' in body  # skip link
    assert '<main id="main"' in body
    assert "<nav" in body and "<header" in body and "<footer" in body
    # nothing from outside (looked for in URLs only: a random CSRF token may contain "cdn")
    assert not re.search(r'(?:src|href)="[^"]*cdn', body.lower()) and "https://" not in body


def test_unknown_page_is_a_kengen_404(world, client):
    login(client, world.users["jinji_clerk"])
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "ページが見つかりません" in body
    assert '<main id="main"' in body


def test_staff_see_no_officer_menus_or_tiles(world, client):
    login(client, world.users["jinji_clerk"])  # no role: their own IDs, passwords and log
    body = client.get(reverse("dashboard:home")).content.decode()
    for name in ("applications:list", "people:list", "eligibility:table", "roles:list", "users:tokens"):
        assert f'href="{reverse(name)}"' not in body, name
    assert f'href="{reverse("grants:file")}"' in body and f'href="{reverse("audit:list")}"' in body

    login(client, world.users["shiminzei_head"])  # a security officer gets them
    body = client.get(reverse("dashboard:home")).content.decode()
    for name in ("applications:list", "people:list"):
        assert f'href="{reverse(name)}"' in body, name
