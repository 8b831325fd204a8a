"""Fixtures shared by every app's tests."""

from __future__ import annotations

import pytest


def pytest_configure(config):
    config.addinivalue_line("markers", "postgres: needs PostgreSQL (skipped on SQLite)")


@pytest.fixture
def world(db):
    """A small municipality built through the services (see kengen.testing.World)."""
    from kengen.testing import build_world

    return build_world()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Keep Argon2id but at test cost; one test checks the pinned production parameters."""
    settings.KENGEN_ARGON2 = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


@pytest.fixture(autouse=True)
def _no_shared_scopes():
    """Scopes cached across requests are keyed by ids and the scope data version, both of which
    a rolled-back test can reuse; each test starts with none."""
    from kengen.roles.selectors import scope_cache_clear

    scope_cache_clear()
    yield
    scope_cache_clear()


@pytest.fixture(autouse=True)
def _audit_guard_for_flush(request):
    """Transactional tests end with Django emptying every table; on SQLite the audit table's
    append-only triggers would refuse that, so the guard is lifted for that flush only."""
    from kengen.audit import guard

    guard.set_suspended(False)
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if transactional:
        request.getfixturevalue("_django_db_helper")
        yield
        guard.set_suspended(True)  # runs before the flush: this fixture was set up after it
    else:
        yield
