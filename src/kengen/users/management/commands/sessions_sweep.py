"""``kengen sessions_sweep``: end the sessions of users no longer in force and forget expired ones.

Every request already refuses a session whose user is disabled or has no appointment in force
today; this removes such sessions from the store (for cron, e.g. daily just after midnight,
alongside ``kengen run-due`` and Django's ``clearsessions``).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from kengen.users.services import user_sessions_sweep


class Command(BaseCommand):
    help = "End sessions of users no longer in force; forget sessions that have expired."

    def handle(self, *args, **options):
        ended = user_sessions_sweep()
        self.stdout.write(f"Ended {ended} session(s).")
