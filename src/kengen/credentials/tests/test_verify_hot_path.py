"""The verify API's hot path (issue 9): a warm successful verify is one statement, answered
without django-ninja but exactly as django-ninja answers it; the system keys and policies cached
per process under the verify data version are never used after a change has committed."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kengen.credentials import api
from kengen.credentials.cache import verify_cache, verify_data_version
from kengen.credentials.choices import CredentialMode
from kengen.credentials.models import SystemApiKey, VerifyDataVersion
from kengen.credentials.services import (
    credential_policy_set,
    password_change,
    system_api_key_create,
    system_api_key_revoke,
)
from kengen.credentials.tests.helpers import STRONG, hold_in_kengen, issue_and_reveal, personal_account


def _verify(client, raw, user_id, password, **extra):
    return client.post(
        "/api/v1/systems/COKAS/verify",
        {"user_id": user_id, "password": password},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
        **extra,
    )


def _signed_in(world):
    core, tax = world.core()
    hold_in_kengen(world, core)
    world.core_system = core
    world.account = personal_account(world, core, "jinji_clerk", "JINJI001", perm_system=tax)
    world.raw = system_api_key_create(actor=world.users["joho_head"], system=core, name="gw").raw
    return world


HEADERS = ("Content-Type", "Content-Language", "Vary", "X-Frame-Options", "Cache-Control", "Retry-After")


@pytest.mark.django_db
def test_the_hot_path_answers_exactly_as_django_ninja_does(world, client, monkeypatch, settings):
    w = _signed_in(world)
    value = issue_and_reveal(w, w.account)
    real, ninja_only, answered = api.verify_hot_path, [False], []

    def hot_path(request, code):
        response = None if ninja_only[0] else real(request, code)
        answered.append(response is not None)
        return response

    monkeypatch.setattr(api, "verify_hot_path", hot_path)

    def both(user_id, password, **extra):
        ninja_only[0] = False
        mine = _verify(client, w.raw, user_id, password, **extra)
        ninja_only[0] = True
        return mine, _verify(client, w.raw, user_id, password, **extra)

    pairs = [both(u, p, HTTP_ACCEPT_LANGUAGE="ja") for u, p in [("JINJI001", value), ("NOBODY", "x")]]
    pairs.append(both("JINJI001", "not the password"))
    password_change(actor=w.users["jinji_clerk"], account=w.account, current=value, new=STRONG)
    pairs.append(both("JINJI001", STRONG))
    settings.KENGEN_VERIFY_RATE_LIMITS = {"account": (1, 60), "key": (100, 60)}  # one failure so far
    pairs.append(both("JINJI001", STRONG))
    assert answered == [True, False] * len(pairs)  # the hot path answered each first request
    hot, ninja = [m for m, _t in pairs], [t for _m, t in pairs]
    assert [r.json()["result"] for r in hot[:4]] == ["must_change", "wrong", "wrong", "valid"]
    assert hot[3].json()["permissions"] == [{"system": "CK-TAX", "code": "inquiry"}]
    assert hot[4].status_code == 429
    for mine, theirs in zip(hot, ninja, strict=True):
        assert mine.status_code == theirs.status_code
        assert mine.content == theirs.content
        assert {h: mine.get(h) for h in HEADERS} == {h: theirs.get(h) for h in HEADERS}


# Committed transactions from here: nothing is cached inside a transaction (a test's own included).


@pytest.fixture
def warm(transactional_db, client):
    verify_cache.clear()
    VerifyDataVersion.objects.get_or_create(id=1)  # a transactional test's flush removes it
    from kengen.testing import build_world

    w = _signed_in(build_world())
    value = issue_and_reveal(w, w.account)
    password_change(actor=w.users["jinji_clerk"], account=w.account, current=value, new=STRONG)
    assert _verify(client, w.raw, "JINJI001", STRONG).json()["result"] == "valid"  # fills the cache
    yield w
    verify_cache.clear()


def test_a_warm_successful_verify_is_one_statement(warm, client):
    with CaptureQueriesContext(connection) as queries:
        r = _verify(client, warm.raw, "JINJI001", STRONG)
    assert r.status_code == 200 and r.json()["result"] == "valid"
    assert len(queries.captured_queries) == 1, [q["sql"] for q in queries.captured_queries]


@pytest.mark.clause("A3.1")
def test_a_revoked_key_is_refused_by_the_very_next_request(warm, client):
    key = SystemApiKey.objects.get(prefix=warm.raw[:12])
    system_api_key_revoke(actor=warm.users["joho_head"], key=key)
    assert _verify(client, warm.raw, "JINJI001", STRONG).status_code == 401
    assert _verify(client, warm.raw, "JINJI001", STRONG).status_code == 401


@pytest.mark.clause("A2.6")
def test_a_changed_policy_is_seen_by_the_very_next_request(warm, client):
    credential_policy_set(actor=warm.users["joho_head"], system=warm.core_system, mode=CredentialMode.SYSTEM)
    assert _verify(client, warm.raw, "JINJI001", STRONG).status_code == 409
    credential_policy_set(actor=warm.users["joho_head"], system=warm.core_system, mode=CredentialMode.KENGEN)
    assert _verify(client, warm.raw, "JINJI001", STRONG).json()["result"] == "valid"


def test_the_version_counts_keys_policies_and_systems_but_not_a_keys_last_use(warm):
    before = verify_data_version()
    SystemApiKey.objects.update(last_used_at=None)  # written by the verify API itself
    assert verify_data_version() == before
    SystemApiKey.objects.update(name="renamed")  # nothing the verify API reads: not watched either
    assert verify_data_version() == before
    warm.core_system.name = "改名"
    warm.core_system.save()
    assert verify_data_version() == before + 1
    system_api_key_create(actor=warm.users["joho_head"], system=warm.core_system, name="second")
    assert verify_data_version() == before + 2
