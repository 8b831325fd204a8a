"""A9: users acknowledge the personal-information duties at first sign-in and yearly; officers and
auditors list who has, per unit."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from kengen.acknowledgements import texts
from kengen.acknowledgements.models import Acknowledgement
from kengen.acknowledgements.selectors import acknowledgement_due, acknowledgement_status_rows
from kengen.acknowledgements.services import acknowledgement_record
from kengen.audit.choices import AuditAction
from kengen.audit.models import AuditEvent
from kengen.core.exceptions import Conflict, NotFound, PermissionDenied, RuleViolation
from kengen.roles.choices import Role
from kengen.roles.services import role_designate
from kengen.testing import START, TEST_PASSWORD, login, totp_device_for, user_for
from kengen.users.services import api_token_create

pytestmark = pytest.mark.django_db


def sign_in(client, username: str):
    return client.post(reverse("users:login"), {"username": username, "password": TEST_PASSWORD})


def acknowledge(client, **extra):
    return client.post(
        reverse("acknowledgements:acknowledge"),
        {"text_version": texts.CURRENT_VERSION, "agree": "on", **extra},
    )


def bearer(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=user, name='t').raw}"}


# --- the acknowledgement itself --------------------------------------------------------------------


@pytest.mark.clause("A9.1")
@pytest.mark.clause("A9.2")
def test_at_first_sign_in_every_page_leads_to_the_duties_until_acknowledged(world, client):
    sign_in(client, "jinji-clerk")

    for url in (reverse("dashboard:home"), reverse("people:list"), reverse("users:me")):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("acknowledgements:acknowledge"))
    page = client.get(reverse("acknowledgements:acknowledge"))
    body = page.content.decode()
    assert page.status_code == 200
    for duty in ("従事者の義務", "第67条", "利用及び提供の制限", "第69条第1項", "漏えい防止"):
        assert duty in body  # A9.2
    assert "端末の使用に当たっての注意" in body and "第9条第1項" in body  # A9.1


@pytest.mark.clause("A9.2")
def test_acknowledging_is_recorded_with_the_text_version_and_audited(world, client):
    user = world.users["jinji_clerk"]
    sign_in(client, "jinji-clerk")

    response = acknowledge(client, next=reverse("people:list"))

    assert response.status_code == 302 and response["Location"] == reverse("people:list")
    ack = Acknowledgement.objects.get()
    assert (ack.user, ack.person, ack.text_version) == (
        user,
        world.people["jinji_clerk"],
        texts.CURRENT_VERSION,
    )
    assert ack.ip_address == "127.0.0.1"
    event = AuditEvent.objects.get(action=AuditAction.ACKNOWLEDGEMENT_RECORDED)
    assert event.actor == user and event.new["text_version"] == texts.CURRENT_VERSION
    assert client.get(reverse("dashboard:home")).status_code == 200


@pytest.mark.clause("A9.2")
def test_the_box_must_be_ticked(world, client):
    sign_in(client, "jinji-clerk")

    response = client.post(reverse("acknowledgements:acknowledge"), {"text_version": texts.CURRENT_VERSION})

    assert response.status_code == 200 and response.context["form"].errors
    assert not Acknowledgement.objects.exists()


@pytest.mark.clause("A9.2")
def test_the_duties_are_acknowledged_again_after_a_year(world, settings):
    user = world.users["jinji_clerk"]
    acknowledgement_record(user=user, text_version=texts.CURRENT_VERSION)

    assert not acknowledgement_due(user=user)
    assert not acknowledgement_due(user=user, now=timezone.now() + dt.timedelta(days=364))
    assert acknowledgement_due(user=user, now=timezone.now() + dt.timedelta(days=365, minutes=1))
    settings.KENGEN_ACKNOWLEDGEMENT_INTERVAL_DAYS = 30  # configurable
    assert acknowledgement_due(user=user, now=timezone.now() + dt.timedelta(days=31))


@pytest.mark.clause("A9.2")
def test_a_year_later_the_next_sign_in_leads_to_the_duties_again(world):
    user = world.users["jinji_clerk"]
    client = Client()
    login(client, user)
    assert client.get(reverse("dashboard:home")).status_code == 200

    with time_machine.travel(timezone.now() + dt.timedelta(days=366)):
        client = Client()
        sign_in(client, "jinji-clerk")
        assert client.get(reverse("dashboard:home"))["Location"].startswith(
            reverse("acknowledgements:acknowledge")
        )
        acknowledge(client)
        assert client.get(reverse("dashboard:home")).status_code == 200
    assert Acknowledgement.objects.filter(user=user).count() == 2


@pytest.mark.clause("A9.2")
def test_a_new_text_must_be_acknowledged_and_a_stale_form_is_refused(world, monkeypatch):
    user = world.users["jinji_clerk"]
    acknowledgement_record(user=user, text_version=texts.CURRENT_VERSION)
    old_version = texts.CURRENT_VERSION
    monkeypatch.setitem(texts.TEXTS, "2099.1", texts.current_text())
    monkeypatch.setattr(texts, "CURRENT_VERSION", "2099.1")

    assert acknowledgement_due(user=user)
    with pytest.raises(Conflict):
        acknowledgement_record(user=user, text_version=old_version)
    acknowledgement_record(user=user, text_version="2099.1")
    assert not acknowledgement_due(user=user)


@pytest.mark.clause("A9.2")
def test_a_sign_in_without_a_person_has_nothing_to_acknowledge(world, client):
    root = user_for(None, username="root", is_superuser=True)

    assert not acknowledgement_due(user=root)
    with pytest.raises(RuleViolation) as exc:
        acknowledgement_record(user=root, text_version=texts.CURRENT_VERSION)
    assert exc.value.clause == "A9.2"


@pytest.mark.clause("A9.2")
def test_the_second_factor_comes_before_the_acknowledgement(world, client):
    totp_device_for(world.users["shokuin_head"])

    sign_in(client, "shokuin-head")

    assert client.get(reverse("acknowledgements:acknowledge"))["Location"].startswith(
        reverse("users:mfa_verify")
    )


@pytest.mark.clause("A9.2")
def test_the_api_is_not_held_up_by_a_due_acknowledgement(world, client):
    user = world.users["jinji_clerk"]
    assert acknowledgement_due(user=user)

    response = client.get("/api/v1/acknowledgements/me", **bearer(user))

    assert response.status_code == 200
    assert response.json()["due"] is True and response.json()["current_version"] == texts.CURRENT_VERSION
    sign_in(client, "jinji-clerk")  # browser session, not yet acknowledged
    assert client.get("/api/v1/me").status_code == 200


@pytest.mark.clause("A9.2")
def test_acknowledging_through_the_api(world, client):
    user = world.users["kazei_clerk"]
    headers = bearer(user)

    stale = client.post(
        "/api/v1/acknowledgements", {"text_version": "1999.1"}, content_type="application/json", **headers
    )
    created = client.post(
        "/api/v1/acknowledgements",
        {"text_version": texts.CURRENT_VERSION},
        content_type="application/json",
        **headers,
    )

    assert stale.status_code == 409
    assert created.status_code == 201 and created.json()["person_id"] == world.people["kazei_clerk"].pk
    assert not acknowledgement_due(user=user)
    text = client.get("/api/v1/acknowledgements/text", **headers).json()
    assert text["version"] == texts.CURRENT_VERSION and "第67条" in text["sections"][0]["basis"]


# --- listing per unit ------------------------------------------------------------------------------


@pytest.fixture
def acknowledged(world):
    """The 人事係 clerk has acknowledged; the 課税係 clerk has not."""
    acknowledgement_record(user=world.users["jinji_clerk"], text_version=texts.CURRENT_VERSION)
    acknowledgement_record(user=world.users["shiminzei_head"], text_version=texts.CURRENT_VERSION)
    return world


@pytest.mark.clause("A9.2")
@pytest.mark.clause("A4")
def test_a_security_officer_lists_their_units_only(acknowledged):
    rows = acknowledgement_status_rows(user=acknowledged.users["shokuin_head"])

    assert {(r.name, r.status) for r in rows} == {("佐藤 一郎", "never"), ("田中 花子", "current")}
    with pytest.raises(NotFound):
        acknowledgement_status_rows(
            user=acknowledged.users["shokuin_head"], organization_id=acknowledged.kazei.pk
        )


@pytest.mark.clause("A9.2")
def test_an_auditor_lists_every_unit_and_a_clerk_lists_none(acknowledged):
    auditor = user_for(None, username="kansa")
    role_designate(actor=None, user=auditor, role=Role.AUDITOR, valid_from=START)

    rows = acknowledgement_status_rows(user=auditor)

    assert len({r.person_id for r in rows}) == 5
    assert {r.name for r in rows if r.status == "current"} == {"田中 花子", "鈴木 二郎"}
    with pytest.raises(PermissionDenied):
        acknowledgement_status_rows(user=acknowledged.users["kazei_clerk"])


@pytest.mark.clause("A9.2")
def test_people_without_a_kengen_sign_in_are_shown_as_such(acknowledged):
    from kengen.testing import staff

    staff(acknowledged.jinji, family="中村", given="三郎")

    rows = acknowledgement_status_rows(user=acknowledged.users["shokuin_head"], status="no_sign_in")

    assert [r.name for r in rows] == ["中村 三郎"]


@pytest.mark.clause("A9.2")
def test_the_list_page_filters_and_exports(acknowledged, client):
    from kengen.testing import staff

    newcomer = staff(acknowledged.jinji, family="山本", given="四郎")
    user_for(newcomer, username="yamamoto")
    officer = acknowledged.users["shokuin_head"]
    login(client, officer)  # acknowledges for the officer

    page = client.get(reverse("acknowledgements:list"), {"status": "never"})
    assert page.status_code == 200
    assert [r.name for r in page.context["page_obj"]] == ["山本 四郎"]
    assert page.context["counts"]["pending"] == 1

    csv_response = client.get(reverse("acknowledgements:list"), {"format": "csv"})
    rows = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    assert {r[2]: r[5] for r in rows[1:]}.keys() == {"佐藤 一郎", "田中 花子", "山本 四郎"}
    xlsx = client.get(reverse("acknowledgements:list"), {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row == 4
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, actor=officer).count() == 2


@pytest.mark.clause("A9.2")
def test_the_list_page_is_refused_to_a_clerk_and_another_unit_is_not_found(acknowledged, client):
    login(client, acknowledged.users["kazei_clerk"])
    assert client.get(reverse("acknowledgements:list")).status_code == 403
    login(client, acknowledged.users["shokuin_head"])
    other = client.get(reverse("acknowledgements:list"), {"unit": acknowledged.kazei.pk})
    assert other.status_code == 200 and other.context["form"].errors  # not a unit they can choose
    assert "伊藤" not in other.content.decode()


@pytest.mark.clause("A9.2")
def test_the_api_lists_acknowledgements_within_scope(acknowledged, client):
    officer = acknowledged.users["shokuin_head"]

    records = client.get("/api/v1/acknowledgements", **bearer(officer)).json()["items"]
    status = client.get("/api/v1/acknowledgements/status", **bearer(officer)).json()
    first = client.get("/api/v1/acknowledgements/status?limit=1", **bearer(officer)).json()
    second = client.get("/api/v1/acknowledgements/status?limit=1&offset=1", **bearer(officer)).json()
    other_unit = client.get(
        f"/api/v1/acknowledgements/status?organization={acknowledged.kazei.pk}", **bearer(officer)
    )
    clerk = client.get("/api/v1/acknowledgements/status", **bearer(acknowledged.users["kazei_clerk"]))

    assert [r["person_id"] for r in records] == [
        acknowledged.people["jinji_clerk"].pk
    ]  # not 鈴木 of 市民税課
    assert {r["name"]: r["status"] for r in status["items"]} == {"佐藤 一郎": "never", "田中 花子": "current"}
    # paged in the database, in the list's order, counting all of it
    assert status["count"] == first["count"] == second["count"] == 2
    assert first["items"] + second["items"] == status["items"]
    assert other_unit.status_code == 404
    assert clerk.status_code == 403


@pytest.mark.clause("A9.2")
def test_the_status_page_pages_a_long_list_and_counts_all_of_it(acknowledged, client):
    from kengen.core.views import PER_PAGE
    from kengen.testing import staff

    for i in range(PER_PAGE + 5):
        staff(acknowledged.jinji, family="多数", given=f"{i:03d}")
    login(client, acknowledged.users["shokuin_head"])
    first = client.get(reverse("acknowledgements:list"))
    total = first.context["page_obj"].paginator.count
    assert total > PER_PAGE and len(first.context["page_obj"]) == PER_PAGE
    assert first.context["counts"]["no_sign_in"] >= PER_PAGE + 5  # the cards count every row
    second = client.get(reverse("acknowledgements:list"), {"page": 2})
    names = [r.name for r in first.context["page_obj"]] + [r.name for r in second.context["page_obj"]]
    assert len(names) == total and len(set(names)) == total
