"""``kengen run-due``: close expired grants, cap at appointment ends, send reminders, retry email.

Run it every few minutes from cron or a systemd timer (see docs/operations.md); it is idempotent
and safe when several hosts run it against one PostgreSQL database.
"""

from django.core.management.base import BaseCommand

from kengen.jobs.services import run_due


class Command(BaseCommand):
    help = "Do the work that has fallen due (idempotent; safe to run concurrently)."

    def handle(self, *args, **options):
        s = run_due()
        if not s.ran:
            self.stdout.write("another run-due is in progress; nothing done")
            return
        self.stdout.write(" ".join(f"{key}={value}" for key, value in s.as_dict().items()))
