"""``kengen audit verify``: walk the hash chain; exit 1 at the first broken link."""

from django.core.management.base import BaseCommand, CommandError

from kengen.audit.services import audit_verify


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; report the first broken link and exit non-zero."

    def add_arguments(self, parser):
        parser.add_argument(
            "--anchor",
            help="SEQ:HASH printed earlier by `kengen audit anchor`; the event must still be there unchanged",
        )

    def handle(self, *args, **options):
        try:
            result = audit_verify(anchor=options.get("anchor"))
        except ValueError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        if not result.ok:
            raise CommandError(
                f"audit log BROKEN at event #{result.broken_seq}: {result.reason} "
                f"({result.checked} events verified before it)",
                returncode=1,
            )
        self.stdout.write(self.style.SUCCESS(f"audit log OK: {result.checked} events, chain intact"))
