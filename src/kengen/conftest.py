"""Fixtures shared by every app's tests."""

from __future__ import annotations

import pytest


def pytest_configure(config):
    config.addinivalue_line("markers", "postgres: needs PostgreSQL (skipped on SQLite)")


@pytest.fixture
def world(db):
    """A small municipality built through the services (see kengen.core.testing.World)."""
    from kengen.core.testing import build_world

    return build_world()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Keep Argon2id but at test cost; one test checks the pinned production parameters."""
    settings.KENGEN_ARGON2 = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}
