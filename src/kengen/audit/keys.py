"""The audit key ring: which keys sign and verify the hash chain.

- Key **0** is the legacy key, derived from the secret key: every event written before audit keys
  existed carries it. It is in the ring implicitly only while no audit key is configured; once
  ``kengen audit rotate-key`` has run, the ring file holds it like any other key, so changing the
  secret key no longer touches the audit log.
- ``KENGEN_AUDIT_KEYRING``: a file of ``ID HEXKEY`` lines (mode 0600, outside the data directory);
  the highest ID signs new events.
- ``KENGEN_AUDIT_KEY`` (+ ``KENGEN_AUDIT_KEY_ID``, default 1): a single key from the environment,
  which then signs new events; keys in the ring file still verify older ones.

The key material never reaches the audit log, the database or any output: events record the key ID.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

LEGACY_KEY_ID = 0


def derive(material: str) -> bytes:
    """The HMAC key for a configured key string (as the legacy key was derived)."""
    return hashlib.sha256(b"kengen-audit-chain:" + material.encode()).digest()


@dataclass(frozen=True)
class KeyRing:
    keys: dict[int, bytes]
    signer: int

    @property
    def signing_key(self) -> bytes:
        return self.keys[self.signer]


def _path() -> Path | None:
    raw = getattr(settings, "KENGEN_AUDIT_KEYRING", "")
    if not raw:
        return None
    path = Path(raw).resolve()
    data = Path(settings.DATA_DIR).resolve() if hasattr(settings, "DATA_DIR") else None
    if data is not None and (path == data or data in path.parents):
        raise ImproperlyConfigured(
            "KENGEN_AUDIT_KEYRING must be outside KENGEN_DATA_DIR: whoever copies the database "
            "directory must not get the key that proves the audit log unaltered."
        )
    return path


def read_file(path: Path) -> dict[int, bytes]:
    keys: dict[int, bytes] = {}
    if not path.exists():
        return keys
    for n, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        ident, _, hexkey = line.partition(" ")
        try:
            keys[int(ident)] = bytes.fromhex(hexkey.strip())
        except ValueError as exc:
            raise ImproperlyConfigured(f"{path}:{n}: expected 'ID HEXKEY'") from exc
    return keys


_cache: dict[tuple, KeyRing] = {}


def key_ring() -> KeyRing:
    """The ring as configured now (re-read when the settings or the ring file change)."""
    path = _path()
    env_key = getattr(settings, "KENGEN_AUDIT_KEY", "") or ""
    env_id = int(getattr(settings, "KENGEN_AUDIT_KEY_ID", 1))
    stamp = (
        str(path),
        path.stat().st_mtime_ns if path and path.exists() else 0,
        env_key,
        env_id,
        settings.SECRET_KEY,
    )
    if stamp in _cache:
        return _cache[stamp]
    if env_key and env_key == settings.SECRET_KEY:
        raise ImproperlyConfigured("KENGEN_AUDIT_KEY must differ from the secret key.")
    keys = read_file(path) if path else {}
    if env_key:
        keys[env_id] = derive(env_key)
        signer = env_id
    elif keys:
        signer = max(keys)
    else:
        keys[LEGACY_KEY_ID] = derive(settings.SECRET_KEY)
        signer = LEGACY_KEY_ID
    ring = KeyRing(keys, signer)
    _cache.clear()
    _cache[stamp] = ring
    return ring


def rotate(path: Path | None = None) -> int:
    """Add a new random key to the ring file and make it the signer; return its ID.

    The first rotation also writes the key in use until now (the legacy key 0, derived from the
    secret key) into the file, so existing events keep verifying whatever happens to the secret key.
    """
    if getattr(settings, "KENGEN_AUDIT_KEY", ""):
        raise ImproperlyConfigured(
            "KENGEN_AUDIT_KEY is set: rotation writes the key ring file. Put that key in the ring "
            "file (or unset it) and set KENGEN_AUDIT_KEYRING instead."
        )
    path = path or _path()
    if path is None:
        raise ImproperlyConfigured(
            "Set KENGEN_AUDIT_KEYRING to the key ring file (outside the data directory)."
        )
    current = key_ring()
    keys = read_file(path)
    if not keys:
        keys = dict(current.keys)
    new_id = max(keys) + 1
    keys[new_id] = secrets.token_bytes(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("# Kengen audit key ring: ID HEXKEY; the highest ID signs. Keep every line.\n")
        for ident in sorted(keys):
            f.write(f"{ident} {keys[ident].hex()}\n")
    os.replace(tmp, path)
    _cache.clear()
    return new_id
