"""Benchmark: load the Kitami demo profile, then read and export the management file.

    KENGEN_DATA_DIR=/tmp/kgbench uv run python bench/management_file.py            # SQLite
    createdb -h 127.0.0.1 -U postgres kengen_bench   # once
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/kengen_bench uv run python bench/management_file.py

Creates (and on SQLite, deletes first) its own database; prints one line per measured step.
Figures are recorded in docs/performance.md. This is not a test: it asserts nothing.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kengen.settings")
if "DATABASE_URL" not in os.environ:
    default = Path(__file__).resolve().parent.parent / "var" / "bench"
    data = Path(os.environ.setdefault("KENGEN_DATA_DIR", str(default)))
    for name in ("kengen.sqlite3", "kengen.sqlite3-wal", "kengen.sqlite3-shm"):
        (data / name).unlink(missing_ok=True)

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402


def timed(label: str, fn, repeat: int = 1):
    runs = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - start)
    best, median = min(runs), statistics.median(runs)
    print(f"{label:<55} best {best * 1000:8.1f} ms   median {median * 1000:8.1f} ms   (n={repeat})")
    return result


def main() -> int:
    if connection.vendor == "postgresql":
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)
    from kengen.core.exports import to_xlsx
    from kengen.grants.models import Grant
    from kengen.grants.selectors import FileFilter, management_file, management_file_table
    from kengen.profiles.services import profile_load
    from kengen.users.models import User

    timed(
        "load Kitami profile with demo staff (services, audited)",
        lambda: profile_load(name="kitami", demo_staff=True),
    )
    print(f"{'grants in the file':<55} {Grant.objects.count()}")
    today = timezone.localdate()
    for username in ("kansa", "joho-kacho", "shokuin-kacho"):
        user = User.objects.get(username=username)
        rows = timed(
            f"management file as of today for {username}",
            lambda user=user: management_file(user=user, flt=FileFilter(as_of=today)),
            repeat=5,
        )
        timed(
            f"  … export {len(rows)} rows to xlsx",
            lambda rows=rows: to_xlsx(management_file_table(rows, today)),
            repeat=3,
        )
    print(f"database: {connection.vendor}; python {sys.version.split()[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
