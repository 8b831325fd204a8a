"""Sessions: idle and absolute timeouts, and every session of a person ends when their account is
disabled or they retire."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kengen.audit.choices import AuditAction
from kengen.audit.models import AuditEvent
from kengen.people.choices import AppointmentEndReason
from kengen.people.services import appointment_end
from kengen.testing import TEST_PASSWORD, login
from kengen.users.choices import SessionEndReason
from kengen.users.models import UserSession
from kengen.users.services import user_sessions_sweep, user_set_active

pytestmark = pytest.mark.django_db

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


def dashboard(client):
    return client.get(reverse("dashboard:home"))


def is_signed_out(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("users:login"))


def two_browsers(user) -> tuple[Client, Client]:
    first, second = Client(), Client()
    login(first, user)
    login(second, user)
    assert dashboard(first).status_code == 200 and dashboard(second).status_code == 200
    return first, second


# --- timeouts --------------------------------------------------------------------------------------


def test_a_session_idle_for_longer_than_the_idle_timeout_ends_with_a_message(world, client):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        login(client, world.users["jinji_clerk"])
        assert dashboard(client).status_code == 200
        traveller.shift(dt.timedelta(minutes=29))
        assert dashboard(client).status_code == 200  # activity restarts the idle clock
        traveller.shift(dt.timedelta(minutes=29))
        assert dashboard(client).status_code == 200
        traveller.shift(dt.timedelta(minutes=31))

        response = dashboard(client)

    assert is_signed_out(response)
    assert "next=/" in response["Location"]
    page = client.get(response["Location"])
    assert any("30" in str(m) for m in page.context["messages"])
    event = AuditEvent.objects.filter(action=AuditAction.SESSION_EXPIRED).get()
    assert event.new == {"reason": SessionEndReason.IDLE} and event.target_id == str(
        world.users["jinji_clerk"].pk
    )
    assert not UserSession.objects.exists()


def test_a_session_ends_after_the_absolute_timeout_however_active(world, client):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        login(client, world.users["jinji_clerk"])
        for _ in range(30):  # 10 hours of a request every 20 minutes
            traveller.shift(dt.timedelta(minutes=20))
            assert dashboard(client).status_code == 200
        traveller.shift(dt.timedelta(minutes=20))

        response = dashboard(client)

    assert is_signed_out(response)
    assert AuditEvent.objects.filter(action=AuditAction.SESSION_EXPIRED).get().new["reason"] == "absolute"


def test_timeouts_are_configurable(world, client, settings):
    settings.KENGEN_SESSION_IDLE_TIMEOUT = 5 * 60
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        login(client, world.users["jinji_clerk"])
        traveller.shift(dt.timedelta(minutes=6))
        assert is_signed_out(dashboard(client))


def test_an_expired_htmx_request_is_sent_to_the_sign_in_page(world, client):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        login(client, world.users["jinji_clerk"])
        traveller.shift(dt.timedelta(hours=1))
        response = client.get(reverse("people:list"), HTTP_HX_REQUEST="true")

    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("users:login")


# --- disabling and retirement ----------------------------------------------------------------------


def test_disabling_an_account_ends_all_of_its_sessions_at_once(world):
    user = world.users["jinji_clerk"]
    first, second = two_browsers(user)
    keys = set(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    assert len(keys) == 2

    user_set_active(actor=None, user=user, is_active=False)

    assert not Session.objects.filter(session_key__in=keys).exists()
    assert not UserSession.objects.filter(user=user).exists()
    assert is_signed_out(dashboard(first)) and is_signed_out(dashboard(second))
    event = AuditEvent.objects.filter(action=AuditAction.SESSIONS_ENDED).get()
    assert event.new == {"reason": "deactivated", "sessions": 2}


def test_disabling_through_a_plain_save_also_ends_the_sessions(world):
    user = world.users["jinji_clerk"]
    first, second = two_browsers(user)

    user.is_active = False
    user.save()  # e.g. the admin site

    assert is_signed_out(dashboard(first)) and is_signed_out(dashboard(second))


def test_a_disabled_user_is_signed_out_on_the_next_request_even_if_the_sessions_were_missed(world):
    user = world.users["jinji_clerk"]
    first, _second = two_browsers(user)
    type(user).objects.filter(pk=user.pk).update(is_active=False)  # no signal at all

    response = dashboard(first)

    assert is_signed_out(response)
    assert AuditEvent.objects.filter(action=AuditAction.SESSION_EXPIRED).get().new["reason"] == "deactivated"


def test_retirement_recorded_today_ends_all_sessions_at_once(world):
    person = world.people["jinji_clerk"]
    first, second = two_browsers(world.users["jinji_clerk"])

    appointment_end(
        actor=None,
        appointment=person.appointment_on(timezone.localdate()),
        on=timezone.localdate(),
        reason=AppointmentEndReason.RETIRED,
    )

    assert is_signed_out(dashboard(first)) and is_signed_out(dashboard(second))
    assert AuditEvent.objects.filter(action=AuditAction.SESSIONS_ENDED).get().new["reason"] == "not_in_force"
    # and the password no longer signs them in
    again = Client().post(reverse("users:login"), {"username": "jinji-clerk", "password": TEST_PASSWORD})
    assert again.status_code == 200


def test_a_retirement_recorded_in_advance_ends_the_sessions_the_moment_it_takes_effect(world):
    person = world.people["jinji_clerk"]
    evening = dt.datetime.combine(timezone.localdate(), dt.time(23, 50), tzinfo=TOKYO)
    with time_machine.travel(evening, tick=False) as traveller:
        tomorrow = timezone.localdate() + dt.timedelta(days=1)
        appointment_end(
            actor=None,
            appointment=person.appointment_on(timezone.localdate()),
            on=tomorrow,
            reason=AppointmentEndReason.RETIRED,
        )
        first, second = two_browsers(world.users["jinji_clerk"])  # still employed tonight
        traveller.shift(dt.timedelta(minutes=15))  # 00:05: the first day no longer employed

        assert is_signed_out(dashboard(first)) and is_signed_out(dashboard(second))
        assert user_sessions_sweep() == 0  # both were already ended by their own requests


def test_the_sweep_ends_sessions_of_people_no_longer_in_force(world):
    person = world.people["jinji_clerk"]
    evening = dt.datetime.combine(timezone.localdate(), dt.time(23, 50), tzinfo=TOKYO)
    with time_machine.travel(evening, tick=False) as traveller:
        tomorrow = timezone.localdate() + dt.timedelta(days=1)
        appointment_end(
            actor=None,
            appointment=person.appointment_on(timezone.localdate()),
            on=tomorrow,
            reason=AppointmentEndReason.RETIRED,
        )
        two_browsers(world.users["jinji_clerk"])
        two_browsers(world.users["kazei_clerk"])
        traveller.shift(dt.timedelta(minutes=15))

        assert user_sessions_sweep() == 2

    assert not UserSession.objects.filter(user=world.users["jinji_clerk"]).exists()
    assert UserSession.objects.filter(user=world.users["kazei_clerk"]).count() == 2


def test_a_retired_users_browser_session_cannot_use_the_api(world, client):
    person = world.people["jinji_clerk"]
    login(client, world.users["jinji_clerk"])
    assert client.get("/api/v1/me").status_code == 200

    appointment_end(
        actor=None,
        appointment=person.appointment_on(timezone.localdate()),
        on=timezone.localdate(),
        reason=AppointmentEndReason.RETIRED,
    )

    assert client.get("/api/v1/me").status_code == 401


def test_signing_out_elsewhere_keeps_this_session(world):
    user = world.users["jinji_clerk"]
    first, second = two_browsers(user)

    response = first.post(reverse("users:sessions_end_others"))

    assert response.status_code == 302
    assert dashboard(first).status_code == 200
    assert is_signed_out(dashboard(second))


def test_signing_out_forgets_the_session(world, client):
    login(client, world.users["jinji_clerk"])
    assert UserSession.objects.count() == 1

    client.post(reverse("users:logout"))

    assert not UserSession.objects.exists()
