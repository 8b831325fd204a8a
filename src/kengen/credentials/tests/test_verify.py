"""The verify API's hot path (issue 9): a successful verify locks and writes nothing that other
sign-ins share; failures are counted per user ID and per system key, not per source address."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kengen.audit.models import AuditEvent
from kengen.credentials.choices import VerifyResult
from kengen.credentials.models import Credential, VerifyThrottle
from kengen.credentials.services import (
    Throttled,
    password_change,
    password_verify,
    system_api_key_create,
)
from kengen.credentials.tests.helpers import STRONG, STRONG_2, issue_and_reveal, personal_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(core):
    """JINJI001 with a password of its own (STRONG), and a second user ID with STRONG_2."""
    value = issue_and_reveal(core, core.account)
    password_change(actor=core.users["jinji_clerk"], account=core.account, current=value, new=STRONG)
    core.other = personal_account(core, core.core_system, "shokuin_head", "SHOKUIN01", perm_system=core.tax)
    other_value = issue_and_reveal(core, core.other)
    password_change(actor=core.users["shokuin_head"], account=core.other, current=other_value, new=STRONG_2)
    core.api_key = system_api_key_create(
        actor=core.users["joho_head"], system=core.core_system, name="gw"
    ).key
    return core


def _verify(w, user_id, password, **kwargs):
    kwargs.setdefault("api_key", w.api_key)
    return password_verify(system=w.core_system, user_id=user_id, password=password, **kwargs)


def test_successful_verifies_write_no_throttle_rows_and_take_no_lock(held, settings):
    settings.KENGEN_VERIFY_RATE_LIMITS = {"account": (2, 60), "key": (2, 60)}
    assert _verify(held, "JINJI001", STRONG).result == VerifyResult.VALID  # sets last_verified_at
    with CaptureQueriesContext(connection) as queries:
        for _ in range(5):  # more than either limit: successes are not counted
            assert _verify(held, "JINJI001", STRONG).result == VerifyResult.VALID
    sql = [q["sql"].upper() for q in queries.captured_queries]
    assert not [s for s in sql if "FOR UPDATE" in s]
    assert not [s for s in sql if s.startswith(("INSERT", "UPDATE", "DELETE"))]
    assert not VerifyThrottle.objects.exists()
    assert not AuditEvent.objects.filter(action="credential.verify_failed").exists()


def test_last_verified_at_is_kept_to_the_stated_precision(held):
    now = timezone.now()
    _verify(held, "JINJI001", STRONG, now=now)
    assert Credential.objects.get(account=held.account).last_verified_at == now
    _verify(held, "JINJI001", STRONG, now=now + dt.timedelta(minutes=1))
    assert Credential.objects.get(account=held.account).last_verified_at == now
    later = now + dt.timedelta(minutes=6)
    _verify(held, "JINJI001", STRONG, now=later)
    assert Credential.objects.get(account=held.account).last_verified_at == later


def test_a_wrong_password_increments_the_failures_and_a_right_one_clears_them(held):
    now = timezone.now().replace(second=5)
    assert _verify(held, "JINJI001", "not the password", now=now).result == VerifyResult.WRONG
    assert _verify(held, "JINJI001", "not it either", now=now).result == VerifyResult.WRONG
    assert Credential.objects.get(account=held.account).failed_attempts == 2
    counts = dict(VerifyThrottle.objects.values_list("key", "count"))
    assert counts[f"key:{held.api_key.pk}"] == 2
    assert sorted(counts.values()) == [2, 2]  # the user ID's counter and the key's
    assert _verify(held, "JINJI001", STRONG, now=now).result == VerifyResult.VALID
    assert Credential.objects.get(account=held.account).failed_attempts == 0


def test_failures_are_limited_per_user_id_whatever_the_key_or_address(held, settings):
    settings.KENGEN_VERIFY_RATE_LIMITS = {"account": (2, 60), "key": (100, 60)}
    second_key = system_api_key_create(actor=held.users["joho_head"], system=held.core_system, name="gw2").key
    now = timezone.now().replace(second=5)
    _verify(held, "JINJI001", "wrong 1", now=now, ip_address="192.0.2.1")
    _verify(held, "jinji001 ", "wrong 2", now=now, ip_address="192.0.2.2", api_key=second_key)
    with pytest.raises(Throttled) as exc:  # even the right password, from another key and address
        _verify(held, "JINJI001", STRONG, now=now, ip_address="192.0.2.3", api_key=second_key)
    assert exc.value.retry_after == 55
    # another user ID through the same key is not held back
    assert _verify(held, "SHOKUIN01", STRONG_2, now=now).result == VerifyResult.VALID
    # the next window
    assert _verify(held, "JINJI001", STRONG, now=now + dt.timedelta(seconds=60)).result == VerifyResult.VALID


def test_failures_are_limited_per_system_key_across_user_ids(held, settings):
    settings.KENGEN_VERIFY_RATE_LIMITS = {"account": (100, 60), "key": (3, 60)}
    second_key = system_api_key_create(actor=held.users["joho_head"], system=held.core_system, name="gw2").key
    now = timezone.now().replace(second=30)
    for uid in ("NOBODY1", "NOBODY2", "SHOKUIN01"):
        assert _verify(held, uid, "wrong", now=now).result == VerifyResult.WRONG
    with pytest.raises(Throttled) as exc:
        _verify(held, "JINJI001", STRONG, now=now)
    assert exc.value.retry_after == 30
    # the other key of the same system, from the same address, is not held back
    assert _verify(held, "JINJI001", STRONG, now=now, api_key=second_key).result == VerifyResult.VALID


def test_the_audit_of_failed_verifies_is_unchanged(held):
    before = AuditEvent.objects.count()
    _verify(held, "JINJI001", STRONG)  # a success audits nothing
    assert AuditEvent.objects.count() == before
    _verify(held, "JINJI001", "wrong password here", ip_address="192.0.2.9")
    _verify(held, "TYPED-SECRET-ID", "whatever", ip_address="192.0.2.9")
    wrong, unknown = AuditEvent.objects.filter(seq__gt=0).order_by("-seq")[:2][::-1]
    assert wrong.action == unknown.action == "credential.verify_failed"
    assert wrong.actor_id is None and wrong.actor_label == "system COKAS"
    assert wrong.target_id == str(held.account.pk)
    assert wrong.new["user_id"] == "JINJI001" and wrong.new["failed_attempts"] == 1
    assert set(wrong.new) == {"system", "user_id", "kind", "person", "holder_organization", "failed_attempts"}
    assert wrong.ip_address == "192.0.2.9"
    assert unknown.target_label == "COKAS: unknown user ID" and unknown.actor_label == "system COKAS"
    assert unknown.ip_address == "192.0.2.9"
    everything = " ".join(str(v) for v in AuditEvent.objects.values_list("target_label", "new", "old"))
    assert "TYPED-SECRET-ID" not in everything and "wrong password here" not in everything
