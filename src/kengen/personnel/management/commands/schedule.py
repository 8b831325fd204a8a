"""``kengen schedule list|cancel``: the scheduled personnel changes (予定されている変更).

kengen schedule list [--status scheduled|applied|cancelled|failed]
kengen schedule cancel ID --as USERNAME
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from kengen.core.exceptions import DomainError
from kengen.personnel.choices import ScheduledStatus
from kengen.personnel.models import ScheduledChange
from kengen.personnel.services import scheduled_change_cancel
from kengen.users.models import User


class Command(BaseCommand):
    help = "List or cancel scheduled personnel changes."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["list", "cancel"])
        parser.add_argument("id", nargs="?", type=int)
        parser.add_argument("--status", default=ScheduledStatus.SCHEDULED, choices=ScheduledStatus.values)
        parser.add_argument("--as", dest="as_user", help="username of the personnel officer cancelling it")

    def handle(self, *args, action, **o):
        if action == "list":
            rows = (
                ScheduledChange.objects.filter(status=o["status"])
                .select_related("created_by")
                .order_by("effective_on", "id")
            )
            for row in rows:
                author = row.created_by.username if row.created_by else "kengen"
                self.stdout.write(
                    f"{row.pk}\t{row.effective_on.isoformat()}\t{row.status}\t{author}\t{row.summary}"
                )
            return
        if o["id"] is None:
            raise CommandError("give the id of the change to cancel")
        row = ScheduledChange.objects.filter(pk=o["id"]).first()
        if row is None:
            raise CommandError(f"no scheduled change {o['id']}")
        actor = User.objects.filter(username=o["as_user"]).first() if o["as_user"] else None
        if o["as_user"] and actor is None:
            raise CommandError(f"no user {o['as_user']}")
        try:
            scheduled_change_cancel(actor=actor, scheduled=row)
        except DomainError as exc:
            raise CommandError(str(exc.message)) from None
        self.stdout.write(f"cancelled #{row.pk}: {row.summary}")
