"""``kengen role list|designate|end``: the designated roles (auditor, configuration administrator,
personnel records officer 人事担当). Post-derived roles are never designated: they follow posts.

  kengen role list
  kengen role designate USERNAME personnel [--from 2025-04-01] [--until 2026-03-31] [--reason …] [--as ADMIN]
  kengen role end ID [--on 2025-04-01] [--as ADMIN]
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kengen.core.era import parse_wareki
from kengen.core.exceptions import DomainError
from kengen.core.models import exclusive_end
from kengen.roles.choices import DesignatedRoleKind
from kengen.roles.models import DesignatedRole
from kengen.roles.services import role_designate, role_designation_end


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        try:
            return parse_wareki(value)
        except ValueError:
            raise CommandError(f"not a date: {value}") from None


class Command(BaseCommand):
    help = "List, designate or end designated roles (auditor, configurator, personnel)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["list", "designate", "end"])
        parser.add_argument("target", nargs="?", help="username (designate) or designation id (end)")
        parser.add_argument("role", nargs="?", choices=DesignatedRoleKind.values)
        parser.add_argument("--from", dest="valid_from")
        parser.add_argument("--until", help="last day of the designation")
        parser.add_argument("--on", help="for end: the first day it no longer holds (default today)")
        parser.add_argument("--reason", default="")
        parser.add_argument("--as", dest="as_user", help="the configuration administrator acting")

    def handle(self, *args, action, **o):
        User = get_user_model()
        actor = None
        if o["as_user"]:
            actor = User.objects.filter(username=o["as_user"]).first()
            if actor is None:
                raise CommandError(f"no user {o['as_user']}")
        today = timezone.localdate()
        if action == "list":
            for d in DesignatedRole.objects.select_related("user").order_by("role", "valid_from"):
                until = d.last_day.isoformat() if d.valid_to else ""
                self.stdout.write(f"{d.pk}\t{d.role}\t{d.user.username}\t{d.valid_from.isoformat()}\t{until}")
            return
        if not o["target"]:
            raise CommandError("say who (designate) or which designation (end)")
        try:
            if action == "designate":
                if not o["role"]:
                    raise CommandError("say which role")
                user = User.objects.filter(username=o["target"]).first()
                if user is None:
                    raise CommandError(f"no user {o['target']}")
                d = role_designate(
                    actor=actor,
                    user=user,
                    role=o["role"],
                    valid_from=_date(o["valid_from"]) if o["valid_from"] else today,
                    valid_to=exclusive_end(_date(o["until"])) if o["until"] else None,
                    reason=o["reason"],
                )
                self.stdout.write(
                    f"designated #{d.pk}: {user.username} {d.role} from {d.valid_from.isoformat()}"
                )
            else:
                d = (
                    DesignatedRole.objects.filter(pk=int(o["target"])).first()
                    if o["target"].isdigit()
                    else None
                )
                if d is None:
                    raise CommandError(f"no designation {o['target']}")
                role_designation_end(actor=actor, designation=d, on=_date(o["on"]) if o["on"] else today)
                self.stdout.write(f"ended #{d.pk}")
        except DomainError as exc:
            raise CommandError(str(exc.message)) from None
