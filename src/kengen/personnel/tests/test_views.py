"""The personnel pages: enter → preview → confirm, with 和暦 dates; scheduled changes; who may."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from kengen.audit.choices import AuditAction
from kengen.audit.models import AuditEvent
from kengen.eligibility.services import eligibility_entry_create
from kengen.grants.choices import EndReason
from kengen.grants.models import Grant
from kengen.grants.services import grant_direct
from kengen.people.models import Person
from kengen.personnel.choices import ScheduledStatus
from kengen.personnel.models import ScheduledChange
from kengen.roles.services import role_designate
from kengen.testing import START, login, user_for

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2024, 9, 20, 9, 0, tzinfo=dt.UTC)


def designated(role: str):
    user = user_for(None, username=role)
    role_designate(actor=None, user=user, role=role, valid_from=START)
    return user


def hire_data(world, **overrides):
    data = {
        "staff_number": "H0001",
        "family_name": "新井",
        "given_name": "春子",
        "family_name_kana": "アライ",
        "given_name_kana": "ハルコ",
        "valid_from": "令和6年9月1日",
        "employment_type": "fy_part_time",
        "appointment_last_day": "R7.3.31",
        "organization": str(world.kazei.pk),
        "post": str(world.clerk.pk),
    }
    return {**data, **overrides}


@time_machine.travel(NOW, tick=False)
@pytest.mark.clause("A2.4")
@pytest.mark.clause("A5.3")
def test_personnel_officer_previews_and_confirms_a_new_hire_typed_in_wareki(client, world, hr):
    login(client, hr)
    assert client.get("/personnel/hire/").status_code == 200
    preview = client.post("/personnel/hire/", {**hire_data(world), "action": "preview"})
    assert preview.status_code == 200
    html = preview.content.decode()
    assert 'id="network-registrations"' in html and "新井 春子" in html
    fingerprint = preview.context["consequences"].fingerprint
    assert not Person.objects.filter(staff_number="H0001").exists()  # a preview writes nothing
    done = client.post(
        "/personnel/hire/", {**hire_data(world), "action": "confirm", "fingerprint": fingerprint}
    )
    person = Person.objects.get(staff_number="H0001")
    assert done.status_code == 302 and done["Location"] == f"/people/{person.pk}/"
    appointment = person.appointments.get()
    assert (appointment.valid_from, appointment.valid_to) == (dt.date(2024, 9, 1), dt.date(2025, 4, 1))
    assert appointment.recorded_by_id == hr.pk
    detail = client.get(f"/people/{person.pk}/").content.decode()
    assert "人事 担当" in detail  # who recorded it


@time_machine.travel(NOW, tick=False)
@pytest.mark.clause("A2.4")
def test_a_refused_hire_shows_the_reason_on_the_field(client, world, hr):
    login(client, hr)
    taken = world.people["kazei_clerk"].staff_number
    response = client.post("/personnel/hire/", {**hire_data(world, staff_number=taken), "action": "preview"})
    assert response.status_code == 200
    assert response.context["form"].errors["staff_number"]
    response = client.post(
        "/personnel/hire/", {**hire_data(world, appointment_last_day="令和6年8月31日"), "action": "preview"}
    )
    assert response.context["form"].errors["appointment_last_day"]


@time_machine.travel(NOW, tick=False)
@pytest.mark.clause("A5.5")
def test_transfer_preview_lists_the_direct_grant_and_confirming_revokes_it(client, world, hr):
    _core, tax = world.core()
    eligibility_entry_create(actor=None, organization=world.shokuin, valid_from=START)
    clerk = world.people["jinji_clerk"]
    (g,) = grant_direct(
        actor=world.users["joho_head"],
        person=clerk,
        permissions=[tax.permissions.get(code="inquiry")],
        valid_from=START,
    )
    login(client, hr)
    url = f"/personnel/people/{clerk.pk}/move/"
    data = {"valid_from": "令和6年9月1日", "organization": str(world.kazei.pk)}
    preview = client.post(url, {**data, "action": "preview"})
    assert 'id="direct-revocations"' in preview.content.decode()
    done = client.post(
        url, {**data, "action": "confirm", "fingerprint": preview.context["consequences"].fingerprint}
    )
    assert done.status_code == 302
    g.refresh_from_db()
    assert (g.valid_to, g.end_reason) == (dt.date(2024, 9, 1), EndReason.TRANSFER)


@time_machine.travel(NOW, tick=False)
def test_a_stale_preview_is_not_applied(client, world, hr):
    clerk = world.people["jinji_clerk"]
    login(client, hr)
    url = f"/personnel/people/{clerk.pk}/move/"
    data = {"valid_from": "2024-09-01", "organization": str(world.kazei.pk)}
    response = client.post(url, {**data, "action": "confirm", "fingerprint": "0" * 32})
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert {a.organization_id for a in clerk.assignments_on(dt.date(2024, 9, 1))} == {world.jinji.pk}


@time_machine.travel(NOW, tick=False)
def test_a_future_change_is_scheduled_listed_with_its_author_and_cancellable(client, world, hr):
    clerk = world.people["kazei_clerk"]
    login(client, hr)
    url = f"/personnel/people/{clerk.pk}/end/"
    data = {"last_day": "令和7年3月31日", "reason": "retired"}
    preview = client.post(url, {**data, "action": "preview"})
    assert preview.context["scheduled"] is True
    done = client.post(
        url, {**data, "action": "confirm", "fingerprint": preview.context["consequences"].fingerprint}
    )
    assert done["Location"] == "/personnel/scheduled/"
    row = ScheduledChange.objects.get()
    assert (row.effective_on, row.created_by_id, row.person_id) == (dt.date(2025, 4, 1), hr.pk, clerk.pk)
    page = client.get("/personnel/scheduled/").content.decode()
    assert row.summary in page and "人事 担当" in page
    assert "予定されている変更" in page
    assert client.post(f"/personnel/scheduled/{row.pk}/cancel/").status_code == 302
    row.refresh_from_db()
    assert row.status == ScheduledStatus.CANCELLED
    assert AuditEvent.objects.filter(action=AuditAction.PERSONNEL_CHANGE_CANCELLED).count() == 1


@pytest.mark.clause("A14")
@pytest.mark.parametrize("who", ["configurator", "auditor", "shokuin_head", "kazei_clerk"])
def test_nobody_but_the_personnel_officer_writes_people(client, world, who):
    user = designated(who) if who in ("configurator", "auditor") else world.users[who]
    login(client, user)
    clerk = world.people["jinji_clerk"]
    assert client.get("/personnel/hire/").status_code == 403
    response = client.post(
        f"/personnel/people/{clerk.pk}/move/",
        {"valid_from": "2024-09-01", "organization": str(world.kazei.pk), "action": "confirm"},
    )
    assert response.status_code in (403, 404)
    assert clerk.assignments.count() == 1
    assert Grant.objects.count() == 0


@pytest.mark.clause("A4")
def test_officers_read_only_their_own_people(client, world, hr):
    login(client, world.users["shokuin_head"])
    assert client.get(f"/people/{world.people['jinji_clerk'].pk}/").status_code == 200
    assert client.get(f"/people/{world.people['kazei_clerk'].pk}/").status_code == 404
    assert client.get("/personnel/scheduled/").status_code == 403


def test_the_personnel_officer_reads_everyone_and_the_auditor_reads_scheduled_changes(client, world, hr):
    login(client, hr)
    for key in ("jinji_clerk", "kazei_clerk", "joho_head"):
        assert client.get(f"/people/{world.people[key].pk}/").status_code == 200
    page = client.get("/people/?q=" + world.people["kazei_clerk"].staff_number).content.decode()
    assert world.people["kazei_clerk"].full_name in page
    client.logout()
    login(client, designated("auditor"))
    page = client.get("/personnel/scheduled/")
    assert page.status_code == 200 and page.context["can_cancel"] is False
