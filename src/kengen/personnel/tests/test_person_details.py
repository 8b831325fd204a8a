"""Correcting who a person is (names, kana, email, staff number): the personnel records officer
(A14), in the UI and the API, audited field by field; nobody else; a staff number stays unique (A2.4)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kengen.audit.choices import AuditAction
from kengen.audit.models import AuditEvent
from kengen.core.exceptions import Conflict, PermissionDenied, RuleViolation
from kengen.people.services import person_update
from kengen.roles.choices import DesignatedRoleKind
from kengen.roles.services import role_designate
from kengen.testing import START, login, user_for
from kengen.users.services import api_token_create

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def hr(world):
    user = user_for(None, username="hr")
    role_designate(actor=None, user=user, role=DesignatedRoleKind.PERSONNEL, valid_from=START)
    return user


@pytest.mark.clause("A14")
def test_a_change_of_name_is_recorded_with_before_and_after(world, hr):
    person = world.people["kazei_clerk"]
    person_update(actor=hr, person=person, family_name="山本", family_name_kana="ヤマモト", email="")
    person.refresh_from_db()
    assert (person.family_name, person.family_name_kana) == ("山本", "ヤマモト")
    event = AuditEvent.objects.filter(action=AuditAction.PERSON_UPDATED).latest("id")
    assert set(event.old) == {"family_name", "family_name_kana"} and event.old["family_name"] == "伊藤"
    assert event.new == {"family_name": "山本", "family_name_kana": "ヤマモト"}
    assert event.actor_id == hr.pk


@pytest.mark.clause("A2.4")
def test_staff_number_stays_unique_and_required(world, hr):
    person = world.people["kazei_clerk"]
    taken = world.people["jinji_clerk"].staff_number
    with pytest.raises(Conflict) as e:
        person_update(actor=hr, person=person, staff_number=taken)
    assert e.value.field == "staff_number"
    with pytest.raises(RuleViolation) as e:
        person_update(actor=hr, person=person, staff_number="  ")
    assert (e.value.field, e.value.clause) == ("staff_number", "A2.4")
    with pytest.raises(RuleViolation) as e:
        person_update(actor=hr, person=person, given_name="")
    assert e.value.field == "given_name"
    with pytest.raises(RuleViolation) as e:
        person_update(actor=hr, person=person, email="not an address")
    assert e.value.field == "email"
    with pytest.raises(RuleViolation) as e:
        person_update(actor=hr, person=person, kind="maintenance")
    assert e.value.field == "kind"
    assert not AuditEvent.objects.filter(action=AuditAction.PERSON_UPDATED).exists()


@pytest.mark.clause("A14")
def test_only_the_personnel_officer_corrects_staff_details(world):
    person = world.people["kazei_clerk"]
    for actor in (world.users["shiminzei_head"], world.users["kazei_clerk"]):
        with pytest.raises(PermissionDenied):
            person_update(actor=actor, person=person, given_name="三郎")
    person.refresh_from_db()
    assert person.given_name == "次郎"


@pytest.mark.clause("A14")
def test_the_details_page_edits_and_returns_to_the_person(client, world, hr):
    person = world.people["kazei_clerk"]
    login(client, hr)
    detail = client.get(reverse("people:detail", args=[person.pk])).content.decode()
    assert reverse("personnel:details", args=[person.pk]) in detail
    data = {
        "staff_number": person.staff_number,
        "family_name": "伊藤",
        "given_name": "二郎",
        "family_name_kana": person.family_name_kana,
        "given_name_kana": "ジロウ",
        "email": "ito@example.jp",
    }
    response = client.post(reverse("personnel:details", args=[person.pk]), data)
    assert response.status_code == 302 and response.url == reverse("people:detail", args=[person.pk])
    person.refresh_from_db()
    assert (person.given_name, person.given_name_kana, person.email) == ("二郎", "ジロウ", "ito@example.jp")
    clash = client.post(
        reverse("personnel:details", args=[person.pk]),
        {**data, "staff_number": world.people["jinji_clerk"].staff_number},
    )
    assert clash.status_code == 200 and "staff_number" in clash.context["form"].errors


@pytest.mark.clause("A14")
def test_an_officer_sees_no_edit_link_and_is_refused(client, world):
    person = world.people["kazei_clerk"]
    login(client, world.users["shiminzei_head"])
    detail = client.get(reverse("people:detail", args=[person.pk])).content.decode()
    assert reverse("personnel:details", args=[person.pk]) not in detail
    response = client.post(reverse("personnel:details", args=[person.pk]), {"given_name": "x"})
    assert response.status_code == 403


@pytest.mark.clause("A14")
def test_details_through_the_api(client, world, hr):
    person = world.people["kazei_clerk"]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=hr, name='t').raw}"}
    url = f"/api/v1/personnel/people/{person.pk}/details"
    ok = client.patch(url, {"given_name": "三郎"}, content_type=JSON, **headers)
    assert ok.status_code == 200 and ok.json()["given_name"] == "三郎"
    assert ok.json()["family_name"] == "伊藤"
    clash = client.patch(
        url, {"staff_number": world.people["jinji_clerk"].staff_number}, content_type=JSON, **headers
    )
    assert clash.status_code == 409 and clash.json()["field"] == "staff_number"
    officer = {
        "HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=world.users['shiminzei_head'], name='t').raw}"
    }
    assert client.patch(url, {"given_name": "x"}, content_type=JSON, **officer).status_code == 403
