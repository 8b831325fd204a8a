"""Biometric enrolment pages (A6.4): who sees what, and the two-factor administrator's actions."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from kengen import testing
from kengen.notifications.models import Notification
from kengen.terminals.models import BiometricEnrolment
from kengen.terminals.services import enrolment_open

pytestmark = pytest.mark.django_db


def _login(client, world, key):
    """Sign in as a finished sign-in: ``kengen.testing.login`` (A9 acknowledged, second factor
    passed) where it exists, else a plain session."""
    user = world.users[key]
    sign_in = getattr(testing, "login", None)
    if sign_in is not None:
        sign_in(client, user)
    else:
        client.force_login(user)
    return client


def test_enrolment_list_requires_sign_in(client, world):
    response = client.get(reverse("terminals:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("users:login"))


@pytest.mark.clause("A6.4")
@pytest.mark.clause("A4")
def test_the_list_shows_each_user_what_they_may_see(client, world, enrolment):
    kazei = enrolment_open(actor=None, person=world.people["kazei_clerk"])
    _login(client, world, "joho_head")  # the two-factor administrator: everyone
    names = {e.person.full_name for e in client.get(reverse("terminals:list")).context["page_obj"]}
    assert names == {"田中 花子", "伊藤 次郎"}
    _login(client, world, "shokuin_head")  # security officer: their own people
    response = client.get(reverse("terminals:list"))
    assert [e.pk for e in response.context["page_obj"]] == [enrolment.pk]
    assert "伊藤" not in response.content.decode()
    assert client.get(reverse("terminals:detail", args=[kazei.pk])).status_code == 404
    _login(client, world, "jinji_clerk")  # the person: their own
    assert [e.pk for e in client.get(reverse("terminals:list")).context["page_obj"]] == [enrolment.pk]


@pytest.mark.clause("A6.4")
def test_pending_enrolments_come_first_and_can_be_filtered(client, world, enrolment):
    done = enrolment_open(actor=None, person=world.people["kazei_clerk"])
    BiometricEnrolment.objects.filter(pk=done.pk).update(place="本庁舎", completed_at=timezone.now())
    _login(client, world, "joho_head")
    assert [e.pk for e in client.get(reverse("terminals:list")).context["page_obj"]] == [
        enrolment.pk,
        done.pk,
    ]
    assert [
        e.pk for e in client.get(reverse("terminals:list"), {"status": "pending"}).context["page_obj"]
    ] == [enrolment.pk]
    assert [e.pk for e in client.get(reverse("terminals:list"), {"status": "done"}).context["page_obj"]] == [
        done.pk
    ]


@pytest.mark.clause("A6.4")
def test_two_factor_administrator_designates_the_place_and_records_the_enrolment(client, world, enrolment):
    _login(client, world, "joho_head")
    detail = client.get(reverse("terminals:detail", args=[enrolment.pk]))
    assert detail.status_code == 200
    assert reverse("terminals:schedule", args=[enrolment.pk]) in detail.content.decode()
    response = client.post(
        reverse("terminals:schedule", args=[enrolment.pk]),
        {"place": "本庁舎3階 情報システム課", "appointment_at": "2026-12-01T10:00"},
    )
    assert response.status_code == 302
    enrolment.refresh_from_db()
    assert enrolment.place == "本庁舎3階 情報システム課"
    assert timezone.localtime(enrolment.appointment_at).replace(tzinfo=None) == dt.datetime(
        2026, 12, 1, 10, 0
    )
    for key in ("jinji_clerk", "shokuin_head"):  # the person and their security officer are told
        assert Notification.objects.filter(
            recipient=world.people[key], clause="A6.4", subject__contains="本庁舎"
        ).exists()
    response = client.post(reverse("terminals:complete", args=[enrolment.pk]), {})
    assert response.status_code == 302
    enrolment.refresh_from_db()
    assert enrolment.completed_at is not None and not enrolment.is_pending


@pytest.mark.clause("A6.4")
def test_recording_before_a_place_is_designated_shows_the_clause(client, world, enrolment):
    _login(client, world, "joho_head")
    response = client.post(reverse("terminals:complete", args=[enrolment.pk]), {})
    assert response.status_code == 200
    assert "[A6.4]" in response.content.decode()
    enrolment.refresh_from_db()
    assert enrolment.is_pending


@pytest.mark.clause("A6.4")
def test_officers_and_the_person_see_but_cannot_act(client, world, enrolment):
    for key in ("shokuin_head", "jinji_clerk"):
        _login(client, world, key)
        detail = client.get(reverse("terminals:detail", args=[enrolment.pk]))
        assert detail.status_code == 200
        assert reverse("terminals:schedule", args=[enrolment.pk]) not in detail.content.decode()
        response = client.post(
            reverse("terminals:schedule", args=[enrolment.pk]),
            {"place": "本庁舎", "appointment_at": "2026-12-01T10:00"},
        )
        assert response.status_code == 403
        assert client.post(reverse("terminals:complete", args=[enrolment.pk]), {}).status_code == 403
    _login(client, world, "shiminzei_head")  # another organization's officer: not found
    assert client.post(reverse("terminals:complete", args=[enrolment.pk]), {}).status_code == 404
    enrolment.refresh_from_db()
    assert enrolment.place == "" and enrolment.is_pending
