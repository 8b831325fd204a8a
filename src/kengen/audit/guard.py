"""The append-only guard of the audit table on SQLite.

The SQLite triggers call ``kengen_audit_guard()``, a function registered on every connection Kengen
opens: it answers 1 (refuse UPDATE/DELETE) except while ``suspended`` — which only the test suite
uses, so that Django can empty the database between transactional tests (PostgreSQL empties it
with TRUNCATE, which its triggers allow). Other SQLite clients do not have the function, so the
trigger fails for them as well.
"""

from __future__ import annotations

from contextlib import contextmanager

_suspended = False


def _guard() -> int:
    return 0 if _suspended else 1


def register(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("kengen_audit_guard", 0, _guard, deterministic=False)


@contextmanager
def suspended():
    global _suspended
    previous, _suspended = _suspended, True
    try:
        yield
    finally:
        _suspended = previous


def set_suspended(value: bool) -> None:
    global _suspended
    _suspended = value
