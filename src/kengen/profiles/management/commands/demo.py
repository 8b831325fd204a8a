"""``kengen demo``: load the demo profile (tables and synthetic staff) and print the sign-ins.

It migrates nothing: run ``kengen migrate`` first. Loading is idempotent: if the profile was
already loaded, it says so, changes nothing, and prints the sign-ins again.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from django.utils.translation import gettext as _

from kengen.core.exceptions import DomainError
from kengen.profiles.management.commands._output import sign_ins_table
from kengen.profiles.registry import get_profile
from kengen.profiles.selectors import profile_load_event
from kengen.profiles.services import LoadSummary, profile_load


def require_migrated(database: str = DEFAULT_DB_ALIAS) -> None:
    executor = MigrationExecutor(connections[database])
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise CommandError(_("The database is not up to date: run `kengen migrate` first."))


def summary_line(summary: LoadSummary, *, seconds: float) -> str:
    """What the demo wrote, in one line: the tables, the staff, the outsourcing register (its
    contractors, contracts and external services) and the management file."""
    return _(
        "Loaded the %(title)s (%(profile)s) profile in %(seconds).1f s: "
        "%(organizations)s units, %(posts)s posts, %(systems)s systems, "
        "%(table2_entries)s Table 2 entries, %(people)s staff "
        "(%(fiscal_year_appointees)s fiscal-year appointees), "
        "%(contractors)s contractors with %(contracts)s contracts and "
        "%(maintenance_staff)s maintenance staff, %(external_services)s external services, "
        "%(accounts)s user IDs, %(grants)s grants."
    ) % {**summary.as_dict(), "seconds": seconds}


class Command(BaseCommand):
    help = "Load the demo profile (regulation tables and synthetic staff) and print the demo sign-ins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--profile", default=None, help="Profile name (default: settings.KENGEN_PROFILE)."
        )
        parser.add_argument(
            "--serve",
            metavar="ADDRPORT",
            nargs="?",
            const="127.0.0.1:8000",
            default=None,
            help="Then run the development server (default 127.0.0.1:8000).",
        )

    def handle(self, *args, **options):
        name = options["profile"] or settings.KENGEN_PROFILE
        try:
            profile = get_profile(name)
        except DomainError as e:
            raise CommandError(e.message) from e
        require_migrated()
        today = timezone.localdate()
        event = profile_load_event(name)
        if event is not None:
            when = timezone.localtime(event.occurred_at).strftime("%Y-%m-%d %H:%M")
            self.stdout.write(
                _(
                    "The %(name)s profile was already loaded on %(when)s (audit event #%(seq)s); "
                    "nothing changed."
                )
                % {"name": name, "when": when, "seq": event.seq}
            )
            if not (event.new or {}).get("demo_staff"):
                self.stdout.write(_("It was loaded without demo staff, so there are no demo sign-ins."))
                return
        else:
            started = time.monotonic()
            try:
                summary = profile_load(name=name, demo_staff=True, today=today)
            except DomainError as e:
                raise CommandError(e.message) from e
            self.stdout.write(self.style.SUCCESS(summary_line(summary, seconds=time.monotonic() - started)))
        self.stdout.write("")
        self.stdout.write(
            _("Demo sign-ins (password for all: %(password)s):") % {"password": profile.demo_password}
        )
        self.stdout.write(sign_ins_table(profile, on=today))
        if options["serve"]:
            call_command("runserver", options["serve"])
