"""``kengen backup`` / ``kengen restore``: the whole database, with the audit anchor beside it.

A backup is two files: the database (``…sqlite3``: a page-for-page copy made with SQLite's online
backup API while Kengen runs; ``…dump``: ``pg_dump`` custom format, taken from the same snapshot
in which the audit chain head was read) and ``<file>.json``, its manifest: format, time, size,
SHA-256 and the audit anchor (``SEQ:HASH``, see ``kengen audit anchor``) of the backed-up data.

A restore trusts nothing it has not checked, and reports success only after:

1. the file still has the SHA-256 the manifest recorded (no corruption, no edit since);
2. ``audit_verify`` walks the restored hash chain without a broken link and finds the manifest's
   anchored event unchanged (and, with ``--anchor``, an anchor kept elsewhere, e.g. mailed to
   the auditor — which also catches a backup and manifest edited together).

SQLite is checked on a private copy before the live database is touched. PostgreSQL is restored in
one transaction and checked afterwards; if the check fails, the restored tables are dropped again
so that nobody serves them (``--keep-on-failure`` keeps them for investigation).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections
from django.db.migrations.executor import MigrationExecutor

from kengen.audit.choices import AuditAction
from kengen.audit.models import AuditEvent
from kengen.audit.services import GENESIS, audit_record, audit_verify, parse_anchor

MANIFEST_VERSION = 1
SQLITE = "sqlite"
POSTGRESQL = "postgresql-custom"


class BackupError(Exception):
    """A backup or restore that did not happen, or a restore that must not be trusted."""


@dataclass(frozen=True)
class Manifest:
    format: str
    created_at: str
    database: str
    size: int
    sha256: str
    audit_anchor: str
    version: int = MANIFEST_VERSION

    @classmethod
    def read(cls, path: Path) -> Manifest:
        try:
            data = json.loads(path.read_text())
            return cls(**{k: data[k] for k in cls.__dataclass_fields__})
        except FileNotFoundError:
            raise BackupError(f"no manifest {path} beside the backup") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise BackupError(f"{path} is not a Kengen backup manifest ({exc})") from None


@dataclass(frozen=True)
class RestoreResult:
    events: int
    anchors: tuple[str, ...]
    pending_migrations: int


def manifest_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def _vendor_format() -> str:
    return SQLITE if connection.vendor == "sqlite" else POSTGRESQL


def default_backup_path() -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    suffix = "sqlite3" if _vendor_format() == SQLITE else "dump"
    return Path(settings.KENGEN_BACKUP_DIR) / f"kengen-{stamp}.{suffix}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _private_file(path: Path) -> None:
    """Create ``path`` empty and readable by its owner only: a backup holds password verifiers,
    personal data and the whole audit log. A folder it creates is the owner's only, too."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    os.chmod(path, 0o600)


# --- PostgreSQL client programs --------------------------------------------------------------


def _pg_program(name: str) -> str:
    program = shutil.which(name)
    if program is None:
        raise BackupError(
            f"{name} not found: install the PostgreSQL client of the server's major version "
            "(Debian: apt install postgresql-client; RHEL: dnf install postgresql)"
        )
    return program


def _pg_env() -> dict[str, str]:
    """libpq's environment for the configured database (the password never on a command line)."""
    db = connection.settings_dict
    env = dict(os.environ)
    for var, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"), ("PGPASSWORD", "PASSWORD")):
        if db.get(key):
            env[var] = str(db[key])
    env["PGDATABASE"] = str(db["NAME"])
    options = db.get("OPTIONS") or {}
    if options.get("sslmode"):
        env["PGSSLMODE"] = str(options["sslmode"])
    return env


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip() or result.returncode}")


# --- backup ----------------------------------------------------------------------------------


def _sqlite_backup(path: Path) -> str:
    connection.ensure_connection()
    source = connection.connection
    partial = path.with_name(path.name + ".partial")
    _private_file(partial)
    target = sqlite3.connect(partial)
    try:
        source.backup(target)
        row = target.execute("SELECT last_seq, last_hash FROM audit_auditchainhead WHERE id = 1").fetchone()
    finally:
        target.close()
    partial.replace(path)
    return f"{row[0]}:{row[1]}" if row else f"0:{GENESIS}"


def _postgresql_backup(path: Path, compress: int | None) -> str:
    import psycopg

    pg_dump = _pg_program("pg_dump")
    _private_file(path)
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    # One snapshot for the anchor and the dump: the anchor names exactly the last event dumped.
    params["autocommit"] = True  # the transaction below is begun explicitly, with its isolation level
    with psycopg.connect(**params) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        row = conn.execute("SELECT last_seq, last_hash FROM audit_auditchainhead WHERE id = 1").fetchone()
        exported = conn.execute("SELECT pg_export_snapshot()").fetchone()
        if exported is None:
            raise BackupError("PostgreSQL exported no snapshot")
        snapshot = exported[0]
        command = [pg_dump, "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}"]
        if compress is not None:
            command.append(f"--compress={compress}")
        _run([*command, f"--file={path}"], _pg_env())
        conn.execute("COMMIT")
    return f"{row[0]}:{row[1]}" if row else f"0:{GENESIS}"


def backup_create(*, path: Path | None = None, compress: int | None = None) -> tuple[Path, Manifest]:
    """Back up the configured database to ``path`` and write its manifest beside it."""
    path = Path(path) if path else default_backup_path()
    if path.is_dir():
        raise BackupError(f"{path} is a directory: name the backup file")
    fmt = _vendor_format()
    anchor = _sqlite_backup(path) if fmt == SQLITE else _postgresql_backup(path, compress)
    manifest = Manifest(
        format=fmt,
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        database=connection.vendor,
        size=path.stat().st_size,
        sha256=_sha256(path),
        audit_anchor=anchor,
    )
    target = manifest_path(path)
    _private_file(target)
    target.write_text(json.dumps(asdict(manifest), indent=2) + "\n")
    return path, manifest


# --- restore ---------------------------------------------------------------------------------


@contextmanager
def _default_database(**changes) -> Iterator[None]:
    """Point the ``default`` connection at another database for the block (to verify a copy)."""
    original = connections[DEFAULT_DB_ALIAS]
    settings_dict = {**original.settings_dict, **changes}
    wrapper = original.__class__(settings_dict, DEFAULT_DB_ALIAS)
    connections[DEFAULT_DB_ALIAS] = wrapper
    try:
        yield
    finally:
        wrapper.close()
        connections[DEFAULT_DB_ALIAS] = original


def _verify(anchors: list[str]) -> int:
    """``audit_verify`` against each anchor; the number of events, or BackupError."""
    checked = 0
    candidates: list[str | None] = [*anchors] or [None]  # None: the chain alone
    for anchor in candidates:
        result = audit_verify(anchor=anchor)
        if not result.ok:
            raise BackupError(
                f"audit log BROKEN at event #{result.broken_seq}: {result.reason} "
                f"({result.checked} events verified before it)"
            )
        checked = result.checked
    return checked


def _holds_data() -> bool:
    tables = set(connection.introspection.table_names())
    if "audit_auditchainhead" not in tables:
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM audit_auditevent")
        return cursor.fetchone()[0] > 0


def _pending_migrations() -> int:
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def _sqlite_restore(path: Path, anchors: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="kengen-restore-") as scratch:
        copy = Path(scratch) / "restore.sqlite3"
        shutil.copyfile(path, copy)
        os.chmod(copy, 0o600)
        try:
            with _default_database(NAME=str(copy)):
                events = _verify(anchors)
        except (sqlite3.DatabaseError, DatabaseError) as exc:
            raise BackupError(f"{path} is not a readable SQLite database ({exc})") from None
        connection.ensure_connection()
        source = sqlite3.connect(copy)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
    return events


def _drop_everything() -> None:
    """Remove what a failed PostgreSQL restore left, so that no one serves unverified data."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(table)} CASCADE")
        cursor.execute(
            "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = current_schema()"
        )
        for (function,) in cursor.fetchall():
            cursor.execute(f"DROP FUNCTION IF EXISTS {function} CASCADE")


def _postgresql_restore(path: Path, anchors: list[str], keep_on_failure: bool) -> int:
    pg_restore = _pg_program("pg_restore")
    env = _pg_env()
    connection.close()  # hold no locks on the tables pg_restore replaces
    _run(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={env['PGDATABASE']}",
            str(path),
        ],
        env,
    )
    try:
        return _verify(anchors)
    except BackupError as exc:
        if not keep_on_failure:
            _drop_everything()
            raise BackupError(f"{exc}; the restored tables were dropped again") from None
        raise BackupError(
            f"{exc}; the restored tables were KEPT for investigation: do not serve them"
        ) from None


def backup_restore(
    *,
    path: Path,
    anchor: str | None = None,
    replace: bool = False,
    keep_on_failure: bool = False,
) -> RestoreResult:
    """Restore ``path`` into the configured database; raise BackupError unless it verifies."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"no backup file {path}")
    anchors: list[str] = []
    try:
        manifest: Manifest | None = Manifest.read(manifest_path(path))
    except BackupError:
        if anchor is None:
            raise
        manifest = None  # an anchor kept elsewhere stands in for the lost manifest
    if anchor is not None:
        try:
            parse_anchor(anchor)
        except ValueError as exc:
            raise BackupError(str(exc)) from None
    if manifest is not None:
        if manifest.format != _vendor_format():
            raise BackupError(
                f"{path} is a {manifest.format} backup; the configured database is {connection.vendor}"
            )
        if path.stat().st_size != manifest.size or _sha256(path) != manifest.sha256:
            raise BackupError(
                f"{path} has changed since the backup was made (its SHA-256 is not the manifest's)"
            )
        anchors.append(manifest.audit_anchor)
    if anchor is not None:
        anchors.append(anchor)
    if _holds_data() and not replace:
        raise BackupError("the configured database already holds data: pass --replace to overwrite it")
    if _vendor_format() == SQLITE:
        events = _sqlite_restore(path, anchors)
        events = _verify(anchors)  # and once more where it now lives
    else:
        events = _postgresql_restore(path, anchors, keep_on_failure)
    return RestoreResult(events=events, anchors=tuple(anchors), pending_migrations=_pending_migrations())


# --- audit ------------------------------------------------------------------------------------


def _operator() -> str:
    """Who ran the command: the operating-system account (a command line has no Kengen user)."""
    import getpass

    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no login name (a container with an unnamed uid)
        name = f"uid {os.getuid()}"
    return f"{name} (kengen command line)"


def backup_audit_started(*, path: Path) -> AuditEvent:
    """Record who backs up the database to which file (before the backup, so that it holds the
    event). Never a secret: the file's name and the database kind only."""
    return audit_record(
        actor=None,
        actor_label=_operator(),
        action=AuditAction.BACKUP_STARTED,
        target_label=str(Path(path).resolve()),
        new={"file": str(Path(path).resolve()), "database": connection.vendor},
    )


def restore_audit_completed(*, path: Path, result: RestoreResult) -> AuditEvent | None:
    """Append to the restored log who restored which file and what was verified. Not when the
    restored schema is older than this Kengen (``kengen migrate`` first): the event would not fit it."""
    if result.pending_migrations:
        return None
    manifest = None
    with contextlib.suppress(BackupError):  # restored on an anchor kept elsewhere: no manifest
        manifest = Manifest.read(manifest_path(Path(path)))
    return audit_record(
        actor=None,
        actor_label=_operator(),
        action=AuditAction.RESTORE_COMPLETED,
        target_label=str(Path(path).resolve()),
        new={
            "file": str(Path(path).resolve()),
            "backup_created_at": manifest.created_at if manifest else "",
            "sha256": manifest.sha256 if manifest else "",
            "events_verified": result.events,
            "anchors": list(result.anchors),
        },
    )
