"""Failed sign-ins: exponential backoff per name and per source address, never a lockout."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from kengen.audit.choices import AuditAction
from kengen.audit.models import AuditEvent
from kengen.testing import TEST_PASSWORD
from kengen.users.choices import ThrottleKind
from kengen.users.models import SignInThrottle
from kengen.users.services import api_token_create, sign_in_failure_record, sign_in_refused_for, username_key

pytestmark = pytest.mark.django_db

WRONG = "Wrong-password-Zq9!"


def attempt(client, username: str, password: str, ip: str = "192.0.2.10"):
    return client.post(reverse("users:login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def signed_in(response) -> bool:
    return response.status_code == 302


@pytest.fixture
def frozen():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def test_after_five_failures_the_name_is_refused_for_a_while_even_with_the_right_password(
    world, client, frozen
):
    for _ in range(5):
        assert not signed_in(attempt(client, "jinji-clerk", WRONG))

    refused = attempt(client, "jinji-clerk", TEST_PASSWORD)

    assert refused.status_code == 200
    errors = refused.context["form"].non_field_errors()
    assert errors.as_data()[0].code == "throttled"
    assert "30" in str(errors[0])  # 30 seconds
    throttled = AuditEvent.objects.filter(action=AuditAction.LOGIN_THROTTLED).get(
        new__kind=ThrottleKind.USERNAME
    )
    assert throttled.new == {"kind": "username", "failures": 5, "refused_seconds": 30}
    frozen.shift(dt.timedelta(seconds=31))
    assert signed_in(attempt(client, "jinji-clerk", TEST_PASSWORD))
    assert not SignInThrottle.objects.filter(kind=ThrottleKind.USERNAME).exists()  # reset on success


def test_the_refusal_doubles_with_each_further_failure_up_to_a_cap(settings, frozen):
    settings.KENGEN_SIGN_IN_THROTTLE = {
        **settings.KENGEN_SIGN_IN_THROTTLE,
        "username": {"threshold": 3, "base_delay": 10, "max_delay": 60},
    }
    waits = []
    for _ in range(7):
        sign_in_failure_record(username="someone", ip=None)
        waits.append(sign_in_refused_for(username="someone", ip=None))

    assert waits == [0, 0, 10, 20, 40, 60, 60]  # never more than the cap: no permanent lockout


def test_refused_attempts_are_not_counted_so_a_refusal_does_not_prolong_itself(world, client, frozen):
    for _ in range(5):
        attempt(client, "jinji-clerk", WRONG)
    for _ in range(10):
        attempt(client, "jinji-clerk", WRONG)  # while refused: not even checked

    row = SignInThrottle.objects.get(kind=ThrottleKind.USERNAME)
    assert row.failures == 5
    assert sign_in_refused_for(username="jinji-clerk", ip=None) == 30
    # each refused attempt is still in the audit log
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED).count() == 15


def test_failures_are_forgotten_after_a_quiet_day(world, client, frozen):
    for _ in range(4):
        attempt(client, "jinji-clerk", WRONG)
    frozen.shift(dt.timedelta(days=1, seconds=1))

    attempt(client, "jinji-clerk", WRONG)

    assert SignInThrottle.objects.get(kind=ThrottleKind.USERNAME).failures == 1
    assert signed_in(attempt(client, "jinji-clerk", TEST_PASSWORD))


def test_unknown_names_are_throttled_like_known_ones(world, client, frozen):
    for _ in range(5):
        attempt(client, "no-such-user", WRONG)

    refused = attempt(client, "no-such-user", WRONG)

    assert refused.context["form"].non_field_errors().as_data()[0].code == "throttled"


def test_the_name_is_counted_case_insensitively_and_stored_only_as_a_digest(world, client, frozen):
    for name in ("Jinji-Clerk", "JINJI-CLERK", "jinji-clerk", "jinji-Clerk", " jinji-clerk "):
        attempt(client, name, WRONG)

    row = SignInThrottle.objects.get(kind=ThrottleKind.USERNAME)
    assert row.failures == 5 and row.key == username_key("jinji-clerk")
    assert "jinji" not in json.dumps(list(SignInThrottle.objects.values()), default=str)


def test_many_names_from_one_address_are_refused_by_the_address_limit(world, client, settings, frozen):
    settings.KENGEN_SIGN_IN_THROTTLE = {
        **settings.KENGEN_SIGN_IN_THROTTLE,
        "ip": {"threshold": 4, "base_delay": 30, "max_delay": 900},
    }
    for i in range(4):
        attempt(client, f"spray-{i}", WRONG, ip="198.51.100.7")

    assert not signed_in(attempt(client, "jinji-clerk", TEST_PASSWORD, ip="198.51.100.7"))
    assert signed_in(attempt(client, "jinji-clerk", TEST_PASSWORD, ip="198.51.100.8"))  # another office
    ip_event = AuditEvent.objects.filter(action=AuditAction.LOGIN_THROTTLED, new__kind=ThrottleKind.IP).get()
    assert ip_event.ip_address == "198.51.100.7"


def test_signing_in_to_ones_own_account_does_not_reset_the_address_count(world, client, settings, frozen):
    """Security review (issue 10): the attacker's own successful sign-in must not wipe the count of
    the guesses they made from that address."""
    settings.KENGEN_SIGN_IN_THROTTLE = {
        **settings.KENGEN_SIGN_IN_THROTTLE,
        "ip": {"threshold": 4, "base_delay": 30, "max_delay": 900},
    }
    for i in range(3):
        attempt(client, f"victim-{i}", WRONG)
    assert signed_in(attempt(client, "kazei-clerk", TEST_PASSWORD))  # their own account
    client.logout()

    assert SignInThrottle.objects.get(kind=ThrottleKind.IP, key="192.0.2.10").failures == 3
    attempt(client, "victim-3", WRONG)
    assert not signed_in(attempt(client, "kazei-clerk", TEST_PASSWORD))  # the address is refused now


def test_a_successful_sign_in_still_clears_the_count_of_its_name(world, client, frozen):
    for _ in range(3):
        attempt(client, "kazei-clerk", WRONG)
    assert signed_in(attempt(client, "kazei-clerk", TEST_PASSWORD))

    assert not SignInThrottle.objects.filter(kind=ThrottleKind.USERNAME).exists()


def test_the_password_is_never_recorded(world, client, frozen):
    for _ in range(6):
        attempt(client, "jinji-clerk", WRONG)
    attempt(client, "jinji-clerk", TEST_PASSWORD)

    stored = json.dumps(
        [list(AuditEvent.objects.values()), list(SignInThrottle.objects.values())],
        default=str,
        ensure_ascii=False,
    )
    assert WRONG not in stored and TEST_PASSWORD not in stored
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED, target_label="jinji-clerk").count() == 7


def test_the_admin_sign_in_is_throttled_too(world, client, frozen):
    for _ in range(5):
        attempt(client, "jinji-clerk", WRONG)

    response = client.post(
        reverse("admin:login"),
        {"username": "jinji-clerk", "password": TEST_PASSWORD},
        REMOTE_ADDR="192.0.2.10",
    )

    assert response.status_code == 200  # refused: the backend, not the page, does the counting
    assert "_auth_user_id" not in client.session


def test_invalid_api_tokens_are_throttled_per_address_but_valid_ones_still_work(
    world, client, settings, frozen
):
    """Security review (issue 10): a city hall is behind NAT; invalid tokens from one client must
    not lock out every other API client behind the same address."""
    settings.KENGEN_SIGN_IN_THROTTLE = {
        **settings.KENGEN_SIGN_IN_THROTTLE,
        "api_ip": {"threshold": 3, "base_delay": 30, "max_delay": 900},
    }
    good = api_token_create(user=world.users["jinji_clerk"], name="t").raw
    for i in range(3):
        bad = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer kgn_guess{i}", REMOTE_ADDR="203.0.113.5")
        assert bad.status_code == 401

    refused = client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer kgn_guess9", REMOTE_ADDR="203.0.113.5")
    assert refused.status_code == 429 and refused["Retry-After"] == "30"
    valid = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {good}", REMOTE_ADDR="203.0.113.5")
    assert valid.status_code == 200  # the valid token behind the same NAT address still works
    frozen.shift(dt.timedelta(seconds=31))
    again = client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer kgn_guess9", REMOTE_ADDR="203.0.113.5")
    assert again.status_code == 401


def test_one_invalid_token_retried_is_throttled_per_token_not_per_address(world, client, settings, frozen):
    settings.KENGEN_SIGN_IN_THROTTLE = {
        **settings.KENGEN_SIGN_IN_THROTTLE,
        "api_token": {"threshold": 3, "base_delay": 30, "max_delay": 900},
    }
    revoked = "kgn_revoked-token-of-one-client"
    for _ in range(3):
        assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {revoked}").status_code == 401
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {revoked}").status_code == 429
    # another client at the same address with another (wrong) token is still answered 401, not 429
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer kgn_someone-else").status_code == 401
    row = SignInThrottle.objects.get(kind=ThrottleKind.API_TOKEN, failures=3)
    assert "revoked" not in row.key  # only a digest is stored


def test_repeated_invalid_tokens_write_aggregated_audit_rows(world, client, settings, frozen):
    settings.KENGEN_SIGN_IN_THROTTLE = {
        **settings.KENGEN_SIGN_IN_THROTTLE,
        "api_token": {"threshold": 5, "base_delay": 30, "max_delay": 900},
    }
    for _ in range(20):
        client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer kgn_same-wrong-token")

    failed = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED, actor_label="api-token")
    throttled = AuditEvent.objects.filter(
        action=AuditAction.LOGIN_THROTTLED, new__kind=ThrottleKind.API_TOKEN
    )
    assert failed.count() == 1 and failed.get().target_label == "API token kgn_same…"
    assert throttled.count() == 1 and throttled.get().new["failures"] == 5
