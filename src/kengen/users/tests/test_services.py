"""Kengen's own sign-ins: pinned Argon2id hashes, and API tokens that are stored only as digests."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
import time_machine
from django.contrib.auth.hashers import check_password, get_hasher, identify_hasher, make_password
from django.utils import timezone

from kengen.audit.choices import AuditAction
from kengen.audit.models import AuditEvent
from kengen.core.exceptions import Conflict, NotFound
from kengen.testing import TEST_PASSWORD, user_for
from kengen.users.hashers import PinnedArgon2idHasher
from kengen.users.models import ApiToken, User
from kengen.users.services import (
    api_token_authenticate,
    api_token_create,
    api_token_revoke,
    user_create,
)

pytestmark = pytest.mark.django_db

PRODUCTION_ARGON2 = {"time_cost": 2, "memory_cost": 19456, "parallelism": 1}


def table_text(model) -> str:
    return json.dumps(list(model.objects.values()), default=str, ensure_ascii=False)


# --- passwords ----------------------------------------------------------------------------------


@pytest.mark.clause("A8.5")
def test_passwords_are_hashed_with_argon2id_under_the_pinned_production_parameters(settings):
    settings.KENGEN_ARGON2 = PRODUCTION_ARGON2  # the autouse fixture lowers them for speed

    encoded = make_password(TEST_PASSWORD)

    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert isinstance(identify_hasher(encoded), PinnedArgon2idHasher)
    assert check_password(TEST_PASSWORD, encoded)
    assert not check_password(TEST_PASSWORD + "x", encoded)


def test_hashes_made_under_other_parameters_still_verify_and_are_marked_for_upgrade(settings):
    cheap = make_password(TEST_PASSWORD)  # test parameters
    settings.KENGEN_ARGON2 = PRODUCTION_ARGON2

    assert check_password(TEST_PASSWORD, cheap)
    assert get_hasher("argon2").must_update(cheap)
    assert not get_hasher("argon2").must_update(make_password(TEST_PASSWORD))


def test_signing_in_upgrades_an_outdated_hash(db, settings):
    user = user_for(None, username="upgrader")
    settings.KENGEN_ARGON2 = PRODUCTION_ARGON2

    assert user.check_password(TEST_PASSWORD)

    user.refresh_from_db()
    assert "m=19456,t=2,p=1" in user.password


@pytest.mark.clause("A8.5")
def test_user_is_stored_with_a_hash_never_the_password(db):
    user = user_for(None, username="hashed")

    assert TEST_PASSWORD not in table_text(User)
    assert user.password.startswith("argon2$argon2id$")


def test_user_without_a_password_cannot_sign_in_until_one_is_set(db):
    user = user_create(actor=None, username="nopass", password=None)

    assert not user.has_usable_password()
    assert not user.check_password("")


def test_sign_in_name_already_taken_is_a_conflict(db):
    user_for(None, username="taken")
    count = AuditEvent.objects.count()

    with pytest.raises(Conflict) as exc:
        user_for(None, username="taken")

    assert exc.value.field == "username"
    assert User.objects.filter(username="taken").count() == 1
    assert AuditEvent.objects.count() == count


# --- API tokens ---------------------------------------------------------------------------------


@pytest.fixture
def user(db):
    return user_for(None, username="api-user")


@pytest.mark.clause("A8.5")
def test_api_token_is_stored_only_as_its_digest(user):
    issued = api_token_create(user=user, name="連携")

    token = ApiToken.objects.get(pk=issued.token.pk)
    assert token.digest == hashlib.sha256(issued.raw.encode()).hexdigest()
    assert issued.raw.startswith("kgn_") and len(issued.raw) > 40
    assert issued.raw not in table_text(ApiToken)
    assert issued.raw not in table_text(AuditEvent)
    assert issued.raw[12:] not in table_text(ApiToken) + table_text(AuditEvent)  # beyond the shown prefix
    event = AuditEvent.objects.get(action=AuditAction.API_TOKEN_CREATED)
    assert event.actor == user and event.new["prefix"] == issued.raw[:12]


def test_api_token_authenticates_its_user_and_records_its_use(user):
    issued = api_token_create(user=user, name="連携")

    assert api_token_authenticate(issued.raw) == user
    assert ApiToken.objects.get(pk=issued.token.pk).last_used_at is not None


@pytest.mark.parametrize("raw", ["", "kgn_", "kgn_not-a-real-token", "Bearer something"])
def test_unknown_token_does_not_authenticate(user, raw):
    api_token_create(user=user, name="連携")

    assert api_token_authenticate(raw) is None


def test_expired_token_does_not_authenticate(user):
    issued = api_token_create(user=user, name="連携", expires_in_days=90)

    with time_machine.travel(timezone.now() + dt.timedelta(days=89), tick=False):
        assert api_token_authenticate(issued.raw) == user
    with time_machine.travel(timezone.now() + dt.timedelta(days=90, seconds=1), tick=False):
        assert api_token_authenticate(issued.raw) is None


def test_revoked_token_does_not_authenticate_and_cannot_be_revoked_twice(user):
    issued = api_token_create(user=user, name="連携")

    api_token_revoke(user=user, token_id=issued.token.pk)

    assert api_token_authenticate(issued.raw) is None
    assert AuditEvent.objects.filter(
        action=AuditAction.API_TOKEN_REVOKED, target_id=str(issued.token.pk)
    ).exists()
    with pytest.raises(Conflict):
        api_token_revoke(user=user, token_id=issued.token.pk)


def test_a_user_cannot_revoke_someone_elses_token(user):
    issued = api_token_create(user=user, name="連携")
    other = user_for(None, username="other")

    with pytest.raises(NotFound):
        api_token_revoke(user=other, token_id=issued.token.pk)

    assert api_token_authenticate(issued.raw) == user


def test_token_of_a_deactivated_user_does_not_authenticate(user):
    issued = api_token_create(user=user, name="連携", expires_in_days=None)
    User.objects.filter(pk=user.pk).update(is_active=False)

    assert api_token_authenticate(issued.raw) is None
