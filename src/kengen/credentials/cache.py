"""What the verify API keeps in each process between requests (issue 9): system API keys (by
digest, with their system) and password policies, under the **verify data version**
(``credentials.models.VerifyDataVersion``), which database triggers bump on every write to keys,
policies and systems. Whoever uses an entry checks the version read in the same request: the
verify statement returns it (``services.verify._snapshot``), and anything else reads it first
(``verify_data_version``). A revoked key or a changed policy is therefore never used by a request
that starts after the change committed. Nothing is shared inside a transaction (its own writes
are counted only at commit on PostgreSQL) or without the version row."""

from __future__ import annotations

import copy
import threading
from typing import TYPE_CHECKING

from django.db import connection

if TYPE_CHECKING:
    from kengen.credentials.models import CredentialPolicy, SystemApiKey

VERSION_SQL = "SELECT version FROM credentials_verifydataversion WHERE id = 1"
MAX_ENTRIES = 1024


def verify_data_version() -> int | None:
    """The current version, or ``None`` when nothing cached may be used (inside a transaction,
    or no version row)."""
    if connection.in_atomic_block:
        return None
    with connection.cursor() as cursor:
        cursor.execute(VERSION_SQL)
        row = cursor.fetchone()
    return None if row is None else int(row[0])


class VerifyCache:
    """Entries valid for one version; a different version empties it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.version: int | None = None
        self._keys: dict[str, SystemApiKey] = {}
        self._policies: dict[int, CredentialPolicy] = {}

    def _sync(self, version: int) -> None:
        if version != self.version:
            self._keys.clear()
            self._policies.clear()
            self.version = version

    def clear(self) -> None:
        with self._lock:
            self._keys.clear()
            self._policies.clear()
            self.version = None

    def key(self, digest: str) -> tuple[SystemApiKey, int] | None:
        """A copy of the cached key (callers may set attributes on it) and its version."""
        with self._lock:
            found = self._keys.get(digest)
            version = self.version
        if found is None or version is None:
            return None
        key = copy.copy(found)
        key.system = copy.copy(found.system)  # the request's own copies; the parent is read only
        return key, version

    def store_key(self, version: int, digest: str, key: SystemApiKey) -> None:
        with self._lock:
            self._sync(version)
            if len(self._keys) < MAX_ENTRIES:
                self._keys[digest] = copy.copy(key)

    def touch_key(self, digest: str, key: SystemApiKey) -> None:
        """Remember a new ``last_used_at`` (not watched by the triggers)."""
        with self._lock:
            if digest in self._keys:
                self._keys[digest].last_used_at = key.last_used_at

    def policy(self, version: int, system_id: int) -> CredentialPolicy | None:
        with self._lock:
            return self._policies.get(system_id) if version == self.version else None

    def store_policy(self, version: int, system_id: int, policy: CredentialPolicy) -> None:
        with self._lock:
            self._sync(version)
            if len(self._policies) < MAX_ENTRIES:
                self._policies[system_id] = policy


verify_cache = VerifyCache()


def mark_unchecked(key: SystemApiKey, version: int) -> None:
    """``key`` came from the cache without reading the version: the request's verify statement
    must find ``version`` (else ``StaleVerifyCache``)."""
    key.__dict__["_kengen_verify_version"] = version


def unchecked_version(key: SystemApiKey | None) -> int | None:
    return None if key is None else key.__dict__.get("_kengen_verify_version")
