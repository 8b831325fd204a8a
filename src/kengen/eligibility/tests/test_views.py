import pytest
from django.urls import reverse

from kengen.audit.choices import AuditAction
from kengen.audit.models import AuditEvent
from kengen.eligibility.services import eligibility_entry_create
from kengen.testing import START, login

pytestmark = pytest.mark.django_db


@pytest.fixture
def table2(world):
    eligibility_entry_create(
        actor=None, organization=world.shokuin, valid_from=START, scope="only", units=[world.jinji]
    )
    return world


def test_table2_requires_sign_in(client):
    assert client.get(reverse("eligibility:table")).status_code == 302


def test_table2_lists_each_line_with_its_qualifier_and_units(table2, client):
    login(client, table2.users["kazei_clerk"])
    response = client.get(reverse("eligibility:table"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "職員課(人事係に限る。)" in body
    assert len(response.context["rows"]) == 1
    assert [u.name for u in response.context["rows"][0]["units"]] == ["人事係"]


def test_table2_before_it_took_effect_is_empty(table2, client):
    login(client, table2.users["kazei_clerk"])
    assert client.get(reverse("eligibility:table"), {"on": "2024-03-31"}).context["rows"] == []


@pytest.mark.clause("A5.5")
def test_check_answers_eligible_with_the_reason(table2, client):
    login(client, table2.users["shokuin_head"])
    clerk = table2.people["jinji_clerk"]
    response = client.get(
        reverse("eligibility:table"), {"staff_number": clerk.staff_number, "date": "2024-04-01"}
    )
    assert response.status_code == 200
    assert response.context["result"].eligible is True
    assert "職員課(人事係に限る。)" in response.context["result"].reason


@pytest.mark.clause("A5.5")
def test_check_answers_not_eligible_outside_the_named_units(table2, client):
    login(client, table2.users["shokuin_head"])
    head = table2.people["shokuin_head"]  # 職員課 itself, not 人事係
    response = client.get(reverse("eligibility:table"), {"staff_number": head.staff_number})
    assert response.context["result"].eligible is False


@pytest.mark.clause("A4")
def test_check_of_another_organizations_person_is_refused_and_audited(table2, client):
    login(client, table2.users["shiminzei_head"])
    clerk = table2.people["jinji_clerk"]
    response = client.get(reverse("eligibility:table"), {"staff_number": clerk.staff_number})
    assert response.status_code == 200
    assert response.context["result"] is None
    assert "kg-error-summary" in response.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.ACCESS_DENIED, target_id=str(clerk.pk)).exists()
