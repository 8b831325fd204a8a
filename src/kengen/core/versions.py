"""Data versions: counters in ``roles_scopedataversion`` (one row each) that database triggers bump
on every committed write to the tables they watch (roles migrations 0004–0006), so something
computed from those tables can be kept in a process and shared across requests under the version
it was computed at, and is never used after a write that would change it has committed. See
docs/architecture.md, "Caching the scope".

Raw SQL on purpose: this runs on every request, and ``core`` sits below the app that owns the table.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from django.db import connection

#: Rows of ``ScopeDataVersion``: what each version counts writes to (migrations 0004–0006).
SCOPE_VERSION = 1
ACKNOWLEDGEMENT_VERSION = 2
NOTIFICATION_VERSION = 3
DASHBOARD_VERSION = 4  # every table the home page's tiles and charts read
_VERSIONS_ATTR = "_kengen_data_versions"


def data_versions() -> dict[int, int] | None:
    """All data versions (row id → version) in one query, or ``None`` when nothing cached under
    them may be used: inside a transaction (its own writes are counted only when it commits, on
    PostgreSQL)."""
    if connection.in_atomic_block:
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, version FROM roles_scopedataversion")
        return {int(row_id): int(version) for row_id, version in cursor.fetchall()}


def data_versions_forget(user: Any) -> None:
    """Read the versions again on the next ask for ``user`` (after a service wrote what they count,
    in case the same request shows it again)."""
    if user is not None:
        user.__dict__.pop(_VERSIONS_ATTR, None)


def data_version(user: Any, row: int) -> int | None:
    """Version ``row`` as read once for ``user``'s request (the versions are read together, on
    the first ask, and kept on the user object, which lives for one request like the scope
    cached on it). ``None``: do not use a shared cache (in a transaction, or no such row)."""
    if user is None or getattr(user, "pk", None) is None:
        return None
    if _VERSIONS_ATTR not in user.__dict__:
        user.__dict__[_VERSIONS_ATTR] = data_versions()
    versions = user.__dict__[_VERSIONS_ATTR]
    return None if versions is None or connection.in_atomic_block else versions.get(row)


class SharedCache:
    """Values shared by the requests of this process, keyed by something that includes a data
    version (so a stale entry is never asked for again), the oldest dropped beyond ``limit``.
    Thread-safe: gunicorn's threads share it. ``get`` answers ``MISSING`` for an unknown key."""

    MISSING = object()

    def __init__(self, limit: int):
        self.limit = limit
        self._values: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()
        _every_cache.append(self)

    def get(self, key: Any) -> Any:
        with self._lock:
            return self._values.get(key, self.MISSING)

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._values[key] = value
            while len(self._values) > self.limit:
                self._values.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


_every_cache: list[SharedCache] = []


def shared_caches_clear() -> None:
    """Empty every ``SharedCache`` (tests: a rolled-back or flushed test can reuse ids and
    versions; in service the versions make it unnecessary)."""
    for cache in _every_cache:
        cache.clear()
