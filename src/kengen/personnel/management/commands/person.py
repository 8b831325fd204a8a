"""``kengen person add|move|renew|end``: personnel changes from a script, with the same preview,
rules and consequences as the pages.

  kengen person add --staff-number 12345 --family 山田 --given 花子 --family-kana ヤマダ \
      --given-kana ハナコ --type regular --unit JINJI --post shuji --on 2025-04-01 [--preview]
  kengen person move --staff-number 12345 --unit KAZEI [--post kacho] --on 2025-04-01
  kengen person renew --staff-number 12345 --type fy_part_time --until 2026-03-31 --on 2025-04-01
  kengen person end --staff-number 12345 --last-day 2025-03-31 --reason retired

``--on``/``--last-day``/``--until`` accept 2025-04-01 or 令和7年4月1日. ``--preview`` prints the
consequences as JSON and changes nothing. A future date schedules the change. ``--as USERNAME``
records the change as that personnel officer (otherwise as Kengen itself, like an HR import).
"""

from __future__ import annotations

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kengen.core.era import parse_wareki
from kengen.core.exceptions import DomainError
from kengen.core.models import exclusive_end
from kengen.organizations.models import Organization, Post
from kengen.people.models import Person
from kengen.personnel.changes import NewPerson, PersonnelChange
from kengen.personnel.choices import ChangeKind
from kengen.personnel.selectors import consequences_of
from kengen.personnel.services import AppliedChanges, personnel_changes_submit
from kengen.users.models import User


def parse_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        try:
            return parse_wareki(value)
        except ValueError:
            raise CommandError(f"not a date: {value} (use 2025-04-01 or 令和7年4月1日)") from None


class Command(BaseCommand):
    help = "Record a new hire, a transfer or promotion, a renewal, or the end of an appointment."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["add", "move", "renew", "end"])
        parser.add_argument("--staff-number", required=True)
        parser.add_argument("--family", default="")
        parser.add_argument("--given", default="")
        parser.add_argument("--family-kana", default="")
        parser.add_argument("--given-kana", default="")
        parser.add_argument("--email", default="")
        parser.add_argument("--type", dest="employment_type", default="")
        parser.add_argument("--until", help="last day of the appointment (fixed-term types)")
        parser.add_argument("--unit", help="unit code")
        parser.add_argument("--post", help="post code")
        parser.add_argument("--on", help="effective date (default today)")
        parser.add_argument("--last-day", help="for end: the last day of employment")
        parser.add_argument("--reason", default="")
        parser.add_argument("--preview", action="store_true")
        parser.add_argument("--as", dest="as_user", help="username of the personnel officer recording it")

    def handle(self, *args, action, **o):
        actor = None
        if o["as_user"]:
            actor = User.objects.filter(username=o["as_user"]).first()
            if actor is None:
                raise CommandError(f"no user {o['as_user']}")
        today = timezone.localdate()
        on = parse_date(o["on"]) if o["on"] else today
        unit = post = person = None
        if o["unit"]:
            unit = Organization.objects.filter(code=o["unit"]).order_by("-valid_from").first()
            if unit is None:
                raise CommandError(f"no unit with code {o['unit']}")
        if o["post"]:
            post = Post.objects.filter(code=o["post"]).first()
            if post is None:
                raise CommandError(f"no post with code {o['post']}")
        if action != "add":
            person = Person.objects.filter(staff_number=o["staff_number"]).first()
            if person is None:
                raise CommandError(f"no person with staff number {o['staff_number']}")
        until = exclusive_end(parse_date(o["until"])) if o["until"] else None
        if action == "add":
            change = PersonnelChange(
                kind=ChangeKind.HIRE,
                new_person=NewPerson(
                    o["staff_number"], o["family"], o["given"], o["family_kana"], o["given_kana"], o["email"]
                ),
                employment_type=o["employment_type"],
                appointment_to=until,
                organization=unit,
                post=post,
            )
        elif action == "move":
            change = PersonnelChange(kind=ChangeKind.MOVE, person=person, organization=unit, post=post)
        elif action == "renew":
            change = PersonnelChange(
                kind=ChangeKind.APPOINTMENT,
                person=person,
                employment_type=o["employment_type"],
                appointment_to=until,
                organization=unit,
                post=post,
            )
        else:
            if not o["last_day"]:
                raise CommandError("--last-day is required for end")
            end = exclusive_end(parse_date(o["last_day"]))
            assert end is not None
            on = end
            change = PersonnelChange(kind=ChangeKind.END, person=person, reason=o["reason"])
        try:
            if o["preview"]:
                self.stdout.write(
                    json.dumps(consequences_of(change, on=on).as_dict(), ensure_ascii=False, indent=2)
                )
                return
            result = personnel_changes_submit(actor=actor, changes=change, on=on)
        except DomainError as exc:
            clause = f" [{exc.clause}]" if exc.clause else ""
            raise CommandError(f"{exc.message}{clause}") from None
        if isinstance(result, AppliedChanges):
            self.stdout.write(f"applied: {change.describe()} on {on.isoformat()}")
        else:
            self.stdout.write(f"scheduled #{result.pk}: {change.describe()} on {on.isoformat()}")
