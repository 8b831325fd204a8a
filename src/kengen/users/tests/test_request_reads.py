"""What every signed-in request reads with plain SELECTs (``users.otp``, ``users.selectors.
user_with_sign_in_state``) keeps django-otp's and Django's rules: the session's second-factor device
counts only while it exists, is confirmed and belongs to the signed-in user; the user comes with
their person and the in-force test of that day."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from kengen.people.models import Appointment
from kengen.testing import login, totp_device_for
from kengen.users.otp import device_from_persistent_id
from kengen.users.selectors import IN_FORCE_TODAY_ATTR, user_with_sign_in_state

pytestmark = pytest.mark.django_db

HOME = "dashboard:home"


def officer_signed_in(world, client):
    """A security officer (must pass a second factor) signed in with their authenticator app."""
    user = world.users["shokuin_head"]
    login(client, user)
    assert client.get(reverse(HOME)).status_code == 200
    return user


def asked_for_second_factor(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("users:mfa_verify"))


def test_the_device_is_read_as_django_otp_reads_it(world):
    device = totp_device_for(world.users["shokuin_head"])

    loaded = device_from_persistent_id(device.persistent_id)

    assert loaded == Device.from_persistent_id(device.persistent_id)
    assert isinstance(loaded, TOTPDevice)
    for field in TOTPDevice._meta.concrete_fields:
        assert getattr(loaded, field.attname) == getattr(device, field.attname), field.name
    assert loaded._state.adding is False and loaded._state.db == "default"
    assert loaded.confirmed is True  # a real bool on SQLite too (the converters ran)


@pytest.mark.parametrize(
    "persistent_id",
    ["", "nonsense", "otp_totp.totpdevice/x", "otp_totp.totpdevice/999999", "nope.nope/1", "users.user/1"],
)
def test_a_malformed_unknown_or_non_device_id_names_no_device(world, persistent_id):
    assert device_from_persistent_id(persistent_id) is None


def test_a_session_whose_device_was_deleted_must_pass_the_second_factor_again(world, client):
    user = officer_signed_in(world, client)

    TOTPDevice.objects.filter(user=user).delete()
    TOTPDevice.objects.create(user=user, name="new phone", confirmed=True)  # a device, not the session's

    assert asked_for_second_factor(client.get(reverse(HOME)))
    assert DEVICE_ID_SESSION_KEY not in client.session  # removed, as django-otp does


def test_a_session_whose_device_is_no_longer_confirmed_must_pass_the_second_factor_again(world, client):
    user = officer_signed_in(world, client)

    TOTPDevice.objects.filter(user=user).update(confirmed=False)
    TOTPDevice.objects.create(user=user, name="new phone", confirmed=True)

    assert asked_for_second_factor(client.get(reverse(HOME)))
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_a_session_naming_another_users_device_must_pass_the_second_factor(world, client):
    officer_signed_in(world, client)
    other = totp_device_for(world.users["joho_head"])
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = other.persistent_id
    session.save()

    assert asked_for_second_factor(client.get(reverse(HOME)))
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_a_signed_in_request_reads_the_device_once_with_its_own_row(world, client):
    user = officer_signed_in(world, client)
    device = TOTPDevice.objects.get(user=user, confirmed=True)

    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse(HOME)).status_code == 200

    device_reads = [q["sql"] for q in queries.captured_queries if TOTPDevice._meta.db_table in q["sql"]]
    assert len(device_reads) == 1
    assert device_reads[0].rstrip().endswith(f"= {device.pk}")  # the session's device, by its key


def test_the_user_comes_with_their_person_and_the_in_force_test(world, django_assert_num_queries):
    user = world.users["shokuin_head"]

    with django_assert_num_queries(1):
        loaded = user_with_sign_in_state(str(user.pk))
        person = loaded.person
        assert person.kengen_user is loaded  # the reverse side cached too, as select_related does

    assert loaded == user and person == user.person
    for field in type(user)._meta.concrete_fields:
        assert getattr(loaded, field.attname) == getattr(user, field.attname), field.name
    assert getattr(loaded, IN_FORCE_TODAY_ATTR) is True
    assert loaded.is_active is True


def test_the_in_force_test_is_false_for_staff_whose_appointments_ended(world):
    user = world.users["shokuin_head"]
    Appointment.objects.filter(person=user.person).update(
        valid_to=dt.date(2000, 1, 2), valid_from=dt.date(2000, 1, 1)
    )

    assert getattr(user_with_sign_in_state(user.pk), IN_FORCE_TODAY_ATTR) is False


def test_a_user_without_a_person_is_in_force_and_has_no_person(world, django_assert_num_queries):
    from kengen.testing import user_for

    admin = user_for(None, username="deploy-admin", is_superuser=True)

    with django_assert_num_queries(1):
        loaded = user_with_sign_in_state(admin.pk)
        assert loaded.person is None
    assert getattr(loaded, IN_FORCE_TODAY_ATTR) is True


def test_an_unknown_or_malformed_user_id(world):
    assert user_with_sign_in_state(999_999) is None
    with pytest.raises((ValueError, TypeError)):
        user_with_sign_in_state("not-a-number")
