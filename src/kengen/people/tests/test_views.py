import pytest
from django.urls import reverse

from kengen.audit.choices import AuditAction
from kengen.audit.models import AuditEvent
from kengen.testing import login

pytestmark = pytest.mark.django_db


def test_people_list_requires_sign_in(client):
    response = client.get(reverse("people:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("users:login"))


@pytest.mark.clause("A4")
def test_officer_lists_only_their_organizations_people(world, client):
    login(client, world.users["shokuin_head"])
    response = client.get(reverse("people:list"))
    assert response.status_code == 200
    assert {p.full_name for p in response.context["page_obj"]} == {"田中 花子", "佐藤 一郎"}
    assert "伊藤" not in response.content.decode()


def _names(client, **params):
    response = client.get(reverse("people:list"), params)
    return {p.full_name for p in response.context["page_obj"]}


def test_people_search_by_name_kana_and_staff_number(world, client):
    login(client, world.users["shokuin_head"])
    clerk = world.people["jinji_clerk"]
    assert _names(client, q="田中") == {"田中 花子"}
    assert _names(client, q=clerk.staff_number) == {"田中 花子"}
    assert _names(client, q=clerk.given_name_kana) == {"田中 花子"}
    assert _names(client, q="伊藤") == set()  # exists, but in 市民税課


def test_people_filter_by_unit_includes_units_below(world, client):
    login(client, world.users["shokuin_head"])
    assert _names(client, unit=world.jinji.pk) == {"田中 花子"}
    assert _names(client, unit=world.shokuin.pk) == {"田中 花子", "佐藤 一郎"}


def test_htmx_search_returns_only_the_results_fragment(world, client):
    login(client, world.users["shokuin_head"])
    response = client.get(reverse("people:list"), {"q": "田中"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="people-results"')
    assert "<html" not in body
    assert "田中 花子" in body


def test_person_detail_shows_employment_assignments_and_eligibility(world, client):
    login(client, world.users["shokuin_head"])
    clerk = world.people["jinji_clerk"]
    response = client.get(reverse("people:detail", args=[clerk.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "田中 花子" in body
    assert clerk.staff_number in body
    assert "正職員" in body or "Regular staff" in body
    assert "総務部職員課人事係" in body
    assert response.context["eligibility"] is not None
    assert response.context["eligibility"].eligible is False  # no Table 2 entry yet


@pytest.mark.clause("A4")
def test_security_officer_of_another_organization_gets_404_and_it_is_audited(world, client):
    officer = world.users["shokuin_head"]
    other = world.people["kazei_clerk"]  # 市民税課
    login(client, officer)
    response = client.get(reverse("people:detail", args=[other.pk]))
    assert response.status_code == 404
    assert "伊藤" not in response.content.decode()
    denied = AuditEvent.objects.filter(action=AuditAction.ACCESS_DENIED, target_id=str(other.pk)).get()
    assert denied.actor == officer
    assert denied.action == "auth.access_denied"


def test_staff_member_sees_themself_only(world, client):
    login(client, world.users["kazei_clerk"])
    assert client.get(reverse("people:detail", args=[world.people["kazei_clerk"].pk])).status_code == 200
    assert client.get(reverse("people:detail", args=[world.people["jinji_clerk"].pk])).status_code == 404


def test_search_form_shows_the_date_it_uses(world, client):
    """In the era, as every date field shows its value (core.forms.DateInput)."""
    from django.utils import timezone

    from kengen.core.era import wareki

    login(client, world.users["shokuin_head"])
    body = client.get(reverse("people:list"), {"q": "田中"}).content.decode()
    assert f'value="{wareki(timezone.localdate())}"' in body
