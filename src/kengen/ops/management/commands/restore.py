"""``kengen restore PATH``: restore a backup; succeed only if its audit chain and anchor verify."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kengen.ops.backup import BackupError, backup_restore, restore_audit_completed


class Command(BaseCommand):
    help = (
        "Restore a backup made by `kengen backup` into the configured database. Stop the web "
        "service first. Checks the file's SHA-256 against its manifest, then verifies the audit "
        "hash chain and the manifest's anchor (and --anchor) before reporting success; exits 1 "
        "otherwise."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="the backup file (its PATH.json manifest beside it)")
        parser.add_argument(
            "--anchor",
            help="SEQ:HASH kept outside the backup (`kengen audit anchor`); must be in the restored log",
        )
        parser.add_argument(
            "--replace", action="store_true", help="overwrite a database that already holds data"
        )
        parser.add_argument(
            "--keep-on-failure",
            action="store_true",
            help="PostgreSQL: keep the restored tables when verification fails (for investigation)",
        )

    def handle(self, *args, **options):
        try:
            result = backup_restore(
                path=options["path"],
                anchor=options["anchor"],
                replace=options["replace"],
                keep_on_failure=options["keep_on_failure"],
            )
        except BackupError as exc:
            raise CommandError(f"restore FAILED: {exc}", returncode=1) from exc
        anchors = ", ".join(f"#{a.split(':', 1)[0]}" for a in result.anchors) or "none"
        self.stdout.write(
            self.style.SUCCESS(
                f"restored {options['path']}: audit log OK, {result.events} events, chain intact; "
                f"anchored events present and unchanged: {anchors}"
            )
        )
        event = restore_audit_completed(path=options["path"], result=result)
        if event is not None:
            self.stdout.write(f"the restore is recorded in the restored audit log as event #{event.seq}")
        else:
            self.stdout.write(
                "the restore is not recorded in the audit log (older schema): note it elsewhere"
            )
        if result.pending_migrations:
            self.stdout.write(
                f"the backup is from an older Kengen: run `kengen migrate` ({result.pending_migrations} "
                "migrations to apply) before starting the service"
            )
