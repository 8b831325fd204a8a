"""``kengen profile_load kitami [--no-demo-staff]``: load a municipality profile's regulation
tables (organizations, posts, systems, 別表第2) into an empty database, as the starting point for
a municipality's own data. ``--demo-staff`` adds the synthetic staff and demo sign-ins."""

from __future__ import annotations

import argparse

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from kengen.core.exceptions import DomainError
from kengen.profiles.management.commands._output import sign_ins_table
from kengen.profiles.management.commands.demo import require_migrated
from kengen.profiles.registry import PROFILES, get_profile
from kengen.profiles.services import profile_load


class Command(BaseCommand):
    help = (
        "Load a municipality profile's regulation tables (organizations, posts, systems, Table 2) "
        "into an empty database, without synthetic staff unless --demo-staff."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "name",
            nargs="?",
            default=None,
            choices=sorted(PROFILES),
            help="Profile name (default: settings.KENGEN_PROFILE).",
        )
        parser.add_argument(
            "--demo-staff",
            action=argparse.BooleanOptionalAction,
            default=False,
            help="Also load synthetic staff, user IDs, grants and demo sign-ins (default: no).",
        )

    def handle(self, *args, **options):
        name = options["name"] or settings.KENGEN_PROFILE
        try:
            profile = get_profile(name)
            require_migrated()
            today = timezone.localdate()
            summary = profile_load(name=name, demo_staff=options["demo_staff"], today=today)
        except DomainError as e:
            raise CommandError(e.message) from e
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Loaded the %(title)s (%(name)s) profile, effective %(effective)s: "
                    "%(organizations)s units, %(posts)s posts, %(systems)s systems "
                    "(%(permissions)s permissions), %(table2_entries)s Table 2 entries."
                )
                % {**summary.as_dict(), "name": name, "effective": summary.effective.isoformat()}
            )
        )
        if summary.demo_staff:
            self.stdout.write(
                _("%(people)s staff, %(accounts)s user IDs, %(grants)s grants.") % summary.as_dict()
            )
            self.stdout.write(
                _("Demo sign-ins (password for all: %(password)s):") % {"password": profile.demo_password}
            )
            self.stdout.write(sign_ins_table(profile, on=today))
