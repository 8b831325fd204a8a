"""Argon2id with parameters pinned in settings (``KENGEN_ARGON2``), never library defaults."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher


class PinnedArgon2idHasher(Argon2PasswordHasher):
    """Django's Argon2 hasher (argon2-cffi, type ID) with the parameters this deployment pins.

    Hashes made with other parameters still verify and are upgraded on the next sign-in
    (``must_update``), so raising the cost later needs no migration.
    """

    algorithm = "argon2"

    @property
    def time_cost(self) -> int:  # type: ignore[override]
        return int(settings.KENGEN_ARGON2["time_cost"])

    @property
    def memory_cost(self) -> int:  # type: ignore[override]
        return int(settings.KENGEN_ARGON2["memory_cost"])

    @property
    def parallelism(self) -> int:  # type: ignore[override]
        return int(settings.KENGEN_ARGON2["parallelism"])
