"""Kengen's session engine reads sessions with one plain SELECT: the same rules as Django's database
sessions — a session is found only by its key and only until it expires, and one that was deleted
(sign-out, second-factor reset) is gone on the next read."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from kengen.users.sessions import SessionStore

pytestmark = pytest.mark.django_db


def stored(**data) -> str:
    store = SessionStore()
    store.update(data)
    store.create()
    store.save()
    assert store.session_key is not None
    return store.session_key


def test_the_configured_engine_is_kengens():
    assert settings.SESSION_ENGINE == "kengen.users.sessions"


def test_a_stored_session_is_read_back():
    key = stored(answer=42)
    store = SessionStore(key)
    assert store.load() == {"answer": 42}
    assert store.session_key == key


def test_an_expired_session_is_not_read():
    key = stored(answer=42)
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    store = SessionStore(key)
    assert store.load() == {}
    assert store.session_key is None  # as Django's engine: a new key on the next save


def test_a_deleted_session_is_not_read():
    key = stored(answer=42)
    SessionStore(key).delete()
    assert SessionStore(key).load() == {}
    assert SessionStore("no-such-session-key-0123456789ab").load() == {}
