"""``kengen backup [PATH]``: back up the database, with its manifest and audit anchor."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kengen.ops.backup import (
    BackupError,
    backup_audit_started,
    backup_create,
    default_backup_path,
    manifest_path,
)


class Command(BaseCommand):
    help = (
        "Back up the database (SQLite online backup, or pg_dump custom format on PostgreSQL) to PATH "
        "(default: $KENGEN_BACKUP_DIR/kengen-<UTC time>.sqlite3|.dump) and write PATH.json, the "
        "manifest with its SHA-256 and audit anchor."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", type=Path, help="the backup file to write")
        parser.add_argument(
            "--compress",
            type=int,
            choices=range(10),
            metavar="0-9",
            help="PostgreSQL only: pg_dump compression level (default: pg_dump's)",
        )

    def handle(self, *args, **options):
        path = options["path"] or default_backup_path()
        # Recorded first, so that the backup holds the record of its own making (and its anchor
        # covers it): who ran it, when, and to which file.
        backup_audit_started(path=path)
        try:
            path, manifest = backup_create(path=path, compress=options["compress"])
        except BackupError as exc:
            raise CommandError(f"backup FAILED: {exc}", returncode=1) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"backup written: {path} ({manifest.size} bytes, audit anchor {manifest.audit_anchor}); "
                f"manifest {manifest_path(path)}"
            )
        )
