"""``kengen hr``: the bulk personnel wave from the command line.

kengen hr import FILE --effective 2027-04-01 [--mapping NAME] [--apply | --schedule] [--as USERNAME]
kengen hr apply ID [--as USERNAME]
kengen hr list

``import`` reads, validates and previews (encoding detected and printed; every error as
row/column/reason, exit 1); with ``--apply`` it then applies the list now (today or a past date),
with ``--schedule`` it leaves it to ``kengen run-due`` on its date. Progress goes to stderr.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kengen.core.exceptions import DomainError
from kengen.hrwave.models import ColumnMapping, WaveImport
from kengen.hrwave.services import wave_apply, wave_import, wave_schedule
from kengen.users.models import User


class _Bar:
    """A one-line progress display on stderr (only redrawn a few times a second)."""

    def __init__(self) -> None:
        self.last = 0.0

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.2 and done != total:
            return
        self.last = now
        if total:
            width = 30
            filled = int(width * done / total)
            sys.stderr.write(f"\r{phase:<9} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}   ")
        else:
            sys.stderr.write(f"\r{phase:<9} {done}   ")
        if phase == "done":
            sys.stderr.write("\n")
        sys.stderr.flush()


class Command(BaseCommand):
    help = "Import an HR list (CSV in CP932/UTF-8, or .xlsx), preview it, apply or schedule it."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["import", "apply", "list"])
        parser.add_argument("target", nargs="?", help="the file to import, or the id of an import")
        parser.add_argument("--effective", type=dt.date.fromisoformat, help="the wave's date (YYYY-MM-DD)")
        parser.add_argument("--mapping", help="name of a saved column mapping (default: 'default')")
        parser.add_argument("--apply", action="store_true", help="apply now after a clean preview")
        parser.add_argument("--schedule", action="store_true", help="leave it to run-due on its date")
        parser.add_argument(
            "--as", dest="as_user", help="username of the personnel officer (default: Kengen)"
        )

    def _actor(self, username: str | None) -> User | None:
        if not username:
            return None
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username}")
        return user

    def handle(self, *args, action, target, **o):
        actor = self._actor(o["as_user"])
        if action == "list":
            for w in WaveImport.objects.order_by("-id")[:50]:
                self.stdout.write(f"{w.pk}\t{w.effective_on}\t{w.status}\t{w.row_count}\t{w.file_name}")
            return
        if not target:
            raise CommandError("give a file (import) or an id (apply)")
        try:
            if action == "apply":
                wave = WaveImport.objects.filter(pk=int(target)).first() if target.isdigit() else None
                if wave is None:
                    raise CommandError(f"no import {target}")
                self._apply(actor, wave)
                return
            if o["effective"] is None:
                raise CommandError("--effective YYYY-MM-DD is required")
            mapping = None
            if o["mapping"]:
                mapping = ColumnMapping.objects.filter(name=o["mapping"]).first()
                if mapping is None:
                    raise CommandError(f"no column mapping {o['mapping']}")
            path = Path(target)
            if not path.is_file():
                raise CommandError(f"no file {target}")
            started = time.monotonic()
            wave = wave_import(
                actor=actor,
                data=path.read_bytes(),
                file_name=path.name,
                effective_on=o["effective"],
                mapping=mapping,
                progress=_Bar(),
            )
            self.stdout.write(
                f"import {wave.pk}: {wave.row_count} rows, encoding {wave.encoding}, "
                f"{time.monotonic() - started:.1f} s"
            )
            if wave.errors:
                for e in wave.errors[:200]:
                    self.stdout.write(f"row {e['row']}\t{e['column']}\t{e['message']}")
                if len(wave.errors) > 200:
                    self.stdout.write(f"… {len(wave.errors) - 200} more errors")
                raise CommandError(f"{len(wave.errors)} errors: nothing was changed")
            for key, value in sorted(wave.totals.items()):
                self.stdout.write(f"{key}\t{value}")
            if o["apply"]:
                self._apply(actor, wave)
            elif o["schedule"]:
                wave_schedule(actor=actor, wave=wave)
                self.stdout.write(f"scheduled for {wave.effective_on} (kengen run-due)")
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc

    def _apply(self, actor, wave):
        started = time.monotonic()
        result = wave_apply(actor=actor, wave=wave, progress=_Bar())
        self.stdout.write(f"applied import {wave.pk} in {time.monotonic() - started:.1f} s")
        for key, value in sorted(result.items()):
            self.stdout.write(f"{key}\t{value}")
