"""The home page's figures kept per user across requests of a process, under the dashboard data
version (row 4 of ``ScopeDataVersion``: bumped by triggers on every write to the tables the tiles
and charts read, migration ``roles.0006_dashboard_version``) and the scope's (row 1: the roles
that decide what ``restrict`` reaches). So a grant, user ID, application, enrolment, credential or
validity-check change is seen by the next request that starts after it committed.

What is kept depends only on the data and the date (never on the time of day or the language):
counts, and the local dates the age charts bucket against today. The home page's whole body is
kept too, under the same versions (``views.home``, ``core.kept``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from kengen.core.versions import DASHBOARD_VERSION, SCOPE_VERSION, SharedCache, data_version

T = TypeVar("T")

_figures = SharedCache(limit=256)
#: Beyond this many kept values (timestamps) an entry is computed afresh on every request instead.
MAX_KEPT = 2_000  # × 256 entries × ≈ 56 bytes a timestamp: under 30 MB a process at worst


def kept(user: Any, today: dt.date, kind: str, compute: Callable[[], T], size: Callable[[T], int]) -> T:
    """``compute()``, shared by ``user``'s requests on ``today`` while neither version moves."""
    scope_version = data_version(user, SCOPE_VERSION)
    version = data_version(user, DASHBOARD_VERSION)
    if scope_version is None or version is None:
        return compute()
    key = (
        kind,
        user.pk,
        getattr(user, "person_id", None),
        user.is_superuser,
        user.is_active,
        today,
        scope_version,
        version,
    )
    value = _figures.get(key)
    if value is SharedCache.MISSING:
        value = compute()
        if size(value) <= MAX_KEPT:
            _figures.put(key, value)
    return value
