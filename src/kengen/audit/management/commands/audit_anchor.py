"""``kengen audit anchor``: print the chain head (SEQ:HASH) to keep outside the database."""

from django.core.management.base import BaseCommand

from kengen.audit.services import audit_anchor


class Command(BaseCommand):
    help = (
        "Print the audit chain head as SEQ:HASH; keep it outside the database and pass it to "
        "`kengen audit verify --anchor` later to detect a cut-back log."
    )

    def handle(self, *args, **options):
        self.stdout.write(audit_anchor())
