"""`kengen backup` / `kengen restore` round trips on the configured database (SQLite or PostgreSQL),
and restores that must fail loudly: tampered audit rows, a changed file, a lost tail."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from kengen.audit.choices import AuditAction
from kengen.audit.models import AuditEvent
from kengen.audit.services import audit_anchor, audit_record, audit_verify
from kengen.ops.backup import BackupError, backup_create, backup_restore, manifest_path
from kengen.organizations.models import Organization

pytestmark = pytest.mark.django_db(transaction=True)

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")
MARK = "tamper-target-0001"  # a label only one audit row carries


def _mark_event() -> AuditEvent:
    return audit_record(actor=None, action=AuditAction.ACCESS_DENIED, target_label=MARK)


def _backup(tmp_path: Path) -> Path:
    # uncompressed on PostgreSQL so that the tests can edit rows inside the dump
    path, _ = backup_create(path=tmp_path / "kengen.backup", compress=0 if ON_POSTGRES else None)
    return path


def _tamper(path: Path, *, fix_manifest: bool) -> None:
    data = path.read_bytes()
    assert data.count(MARK.encode()) == 1
    path.write_bytes(data.replace(MARK.encode(), b"tamper-target-9999"))
    if fix_manifest:  # someone able to edit both files
        import hashlib

        manifest = json.loads(manifest_path(path).read_text())
        manifest["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
        manifest_path(path).write_text(json.dumps(manifest))


def test_backup_then_restore_brings_back_exactly_the_backed_up_state(world, tmp_path):
    _mark_event()
    anchor_then = audit_anchor()
    events_then = AuditEvent.objects.count()
    orgs_then = sorted(Organization.objects.values_list("code", flat=True))
    path = _backup(tmp_path)
    manifest = json.loads(manifest_path(path).read_text())
    assert manifest["audit_anchor"] == anchor_then
    assert manifest["format"] == ("postgresql-custom" if ON_POSTGRES else "sqlite")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(manifest_path(path).stat().st_mode) == 0o600

    # life goes on after the backup …
    audit_record(actor=None, action=AuditAction.ACCESS_DENIED, target_label="after the backup")
    Organization.objects.filter(code="KAZEI").update(name="変更後")

    result = backup_restore(path=path, replace=True)

    assert result.events == events_then
    assert result.anchors == (anchor_then,)
    assert result.pending_migrations == 0
    assert audit_anchor() == anchor_then
    assert AuditEvent.objects.count() == events_then
    assert not AuditEvent.objects.filter(target_label="after the backup").exists()
    assert sorted(Organization.objects.values_list("code", flat=True)) == orgs_then
    assert Organization.objects.get(code="KAZEI").name == "課税係"
    assert audit_verify().ok
    # the restored log keeps growing on the same chain
    audit_record(actor=None, action=AuditAction.ACCESS_DENIED, target_label="after the restore")
    assert audit_verify(anchor=anchor_then).ok


def test_the_commands_report_the_anchor_and_the_verified_chain(world, tmp_path, capsys):
    path = tmp_path / "nightly.backup"
    args = ["--compress", "0"] if ON_POSTGRES else []
    call_command("backup", str(path), *args)
    out = capsys.readouterr().out
    assert f"audit anchor {audit_anchor()}" in out
    call_command("restore", str(path), "--replace")
    out = capsys.readouterr().out
    assert "audit log OK" in out
    assert f"#{audit_anchor().split(':')[0]}" in out


def test_a_restore_into_a_database_with_data_needs_replace(world, tmp_path):
    path = _backup(tmp_path)
    with pytest.raises(BackupError, match=r"already holds data: pass --replace"):
        backup_restore(path=path)


def test_a_backup_with_tampered_audit_rows_is_refused(world, tmp_path):
    _mark_event()
    path = _backup(tmp_path)
    _tamper(path, fix_manifest=False)
    with pytest.raises(
        CommandError, match=r"restore FAILED: .* has changed since the backup was made"
    ) as exc:
        call_command("restore", str(path), "--replace")
    assert exc.value.returncode == 1
    assert AuditEvent.objects.filter(target_label=MARK).exists()  # nothing was touched


def test_tampered_audit_rows_fail_the_chain_even_with_a_rewritten_manifest(world, tmp_path):
    event = _mark_event()
    before = AuditEvent.objects.count()
    path = _backup(tmp_path)
    _tamper(path, fix_manifest=True)
    with pytest.raises(CommandError, match=f"restore FAILED: audit log BROKEN at event #{event.seq}") as exc:
        call_command("restore", str(path), "--replace")
    assert exc.value.returncode == 1
    if ON_POSTGRES:
        assert "dropped again" in str(exc.value)
        assert "audit_auditevent" not in connection.introspection.table_names()
        call_command("migrate", verbosity=0)  # give the following tests their schema back
    else:  # SQLite: checked on a copy, the live database never saw the tampered rows
        assert AuditEvent.objects.count() == before
        assert AuditEvent.objects.filter(target_label=MARK).exists()


def test_an_anchor_kept_elsewhere_catches_a_backup_cut_back_with_its_manifest(world, tmp_path):
    path = _backup(tmp_path)  # an old backup, presented as the latest
    _mark_event()
    later_anchor = audit_anchor()  # mailed to the auditor after the backup
    with pytest.raises(BackupError, match=r"anchored event #\d+ is gone"):
        backup_restore(path=path, anchor=later_anchor, replace=True, keep_on_failure=True)


def test_a_lost_manifest_needs_an_anchor(world, tmp_path):
    path = _backup(tmp_path)
    anchor = audit_anchor()
    manifest_path(path).unlink()
    with pytest.raises(BackupError, match="no manifest"):
        backup_restore(path=path, replace=True)
    result = backup_restore(path=path, anchor=anchor, replace=True)
    assert result.anchors == (anchor,)


def test_a_backup_of_the_other_database_kind_is_refused(world, tmp_path):
    path = _backup(tmp_path)
    manifest = json.loads(manifest_path(path).read_text())
    manifest["format"] = "sqlite" if ON_POSTGRES else "postgresql-custom"
    manifest_path(path).write_text(json.dumps(manifest))
    with pytest.raises(BackupError, match=r"backup; the configured database is"):
        backup_restore(path=path, replace=True)


def test_a_file_that_is_not_a_backup_is_refused(db, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not a database")
    with pytest.raises(BackupError, match="no manifest"):
        backup_restore(path=path)
    with pytest.raises(BackupError, match="no backup file"):
        backup_restore(path=tmp_path / "missing.dump")


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite: a file that is not a database, with a matching manifest")
def test_sqlite_garbage_with_a_matching_manifest_is_refused(db, tmp_path):
    path = _backup(tmp_path)
    path.write_bytes(b"garbage" * 1000)
    _tamper_manifest_to_match = json.loads(manifest_path(path).read_text())
    import hashlib

    _tamper_manifest_to_match.update(
        size=path.stat().st_size, sha256=hashlib.sha256(path.read_bytes()).hexdigest()
    )
    manifest_path(path).write_text(json.dumps(_tamper_manifest_to_match))
    with pytest.raises(BackupError, match="not a readable SQLite database"):
        backup_restore(path=path, replace=True)


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL: pg_dump/pg_restore")
def test_postgresql_backup_is_a_pg_dump_custom_archive(world, tmp_path):
    path, manifest = backup_create(path=tmp_path / "kengen.dump")
    assert path.read_bytes()[:5] == b"PGDMP"
    assert manifest.format == "postgresql-custom"


def test_backup_and_restore_are_audited_with_who_when_and_which_file(world, tmp_path, capsys):
    path = tmp_path / "nightly.backup"
    args = ["--compress", "0"] if ON_POSTGRES else []
    call_command("backup", str(path), *args)

    started = AuditEvent.objects.get(action=AuditAction.BACKUP_STARTED)
    assert started.new["file"] == str(path.resolve())
    assert "kengen command line" in started.actor_label
    assert started.actor is None
    manifest = json.loads(manifest_path(path).read_text())
    # recorded before the dump: the backup holds the record of its own making
    assert manifest["audit_anchor"].split(":")[0] == str(started.seq)

    call_command("restore", str(path), "--replace")
    out = capsys.readouterr().out

    restored = AuditEvent.objects.get(action=AuditAction.RESTORE_COMPLETED)
    assert f"event #{restored.seq}" in out
    assert restored.seq == started.seq + 1  # appended to the restored chain, which still verifies
    assert restored.new["file"] == str(path.resolve())
    assert restored.new["sha256"] == manifest["sha256"]
    assert restored.new["anchors"] == [manifest["audit_anchor"]]
    assert restored.occurred_at is not None
    assert audit_verify().ok
    assert "password" not in json.dumps(restored.new).lower()


def test_a_failed_restore_records_nothing(world, tmp_path):
    _mark_event()
    path = _backup(tmp_path)
    _tamper(path, fix_manifest=False)
    with pytest.raises(CommandError):
        call_command("restore", str(path), "--replace")
    assert not AuditEvent.objects.filter(action=AuditAction.RESTORE_COMPLETED).exists()
