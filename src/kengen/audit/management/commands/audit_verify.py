"""``kengen audit verify``: walk the hash chain; exit 1 at the first broken link."""

from django.core.management.base import BaseCommand, CommandError

from kengen.audit.services import audit_verify


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; report the first broken link and exit non-zero."

    def handle(self, *args, **options):
        result = audit_verify()
        if not result.ok:
            raise CommandError(
                f"audit log BROKEN at event #{result.broken_seq}: {result.reason} "
                f"({result.checked} events verified before it)",
                returncode=1,
            )
        self.stdout.write(self.style.SUCCESS(f"audit log OK: {result.checked} events, chain intact"))
