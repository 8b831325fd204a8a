"""Benchmark: validity-check campaigns and reconciliation at scale (issue 13), each beside a raw
reference measured in the same run.

    KENGEN_DATA_DIR=/tmp/kg-bench-reviews uv run python bench/reviews.py --people 100000
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/kg_reviews_bench \\
        uv run python bench/reviews.py --people 100000

Empties the database it is given (flush: it must hold no audit events, the log is append-only, so
start from a new database or data directory), loads the Kitami profile's tables, generates N people /
10·N grants (``kengen.profiles.scale``), then prints:

- ``campaign_open`` over every system with grants (one item per grant in force, routed to the
  holder's unit today, set-based INSERT … SELECT) beside a raw ``INSERT … SELECT`` of the same
  grants' ids into a scratch table (the floor for writing that many rows);
- ``campaign_reroute`` of that campaign (the daily re-routing after transfers; none here);
- ``reconciliation_import`` of an ``--accounts``-row CSV export (the system's own accounts, some
  permissions changed, some missing, the rest orphans, with last sign-in dates) beside a raw
  reference: ``csv`` parsing of the same bytes plus one SELECT of the file's (user ID, permission)
  pairs into a dict.

Not a test: it asserts nothing. Figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import os
import random
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kengen.settings")
os.environ.setdefault("KENGEN_DATA_DIR", "/tmp/kg-bench-reviews")  # noqa: S108 (a benchmark's scratch)
os.environ.setdefault("KENGEN_DEBUG", "0")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402


def line(label: str, value: str, ref: str = "") -> None:
    print(f"{label:<62} {value:>12}   {ref}", flush=True)


def setup(people: int) -> None:
    from kengen.profiles.scale import generate
    from kengen.profiles.services import profile_load

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    t = time.perf_counter()
    profile_load(name="kitami", demo_staff=False)
    line("load the Kitami profile's tables", f"{time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    if connection.vendor == "sqlite":
        # Generation only: no sync per commit and a large page cache; restored before any timing.
        with connection.cursor() as c:
            c.execute("PRAGMA synchronous")
            synchronous = c.fetchone()[0]
            c.execute("PRAGMA cache_size")
            cache_size = c.fetchone()[0]
            c.execute("PRAGMA synchronous=OFF")
            c.execute("PRAGMA cache_size=-500000")
    g = generate(people=people, grants_per_person=10)
    if connection.vendor == "sqlite":
        with connection.cursor() as c:
            c.execute(f"PRAGMA synchronous={int(synchronous)}")
            c.execute(f"PRAGMA cache_size={int(cache_size)}")
    line(
        f"generate {g.people:,} people, {g.accounts:,} IDs, {g.grants:,} grants",
        f"{time.perf_counter() - t:.1f} s",
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as c:
            c.execute("ANALYZE")


def bench_campaign() -> None:
    from django.urls import reverse

    from kengen.core.models import active_on_q
    from kengen.grants.models import Grant
    from kengen.reviews.models import ReviewItem
    from kengen.reviews.services import campaign_open
    from kengen.systems.models import System

    reverse("reviews:list")  # warm the URL resolver (imports every app's views) before timing
    today = timezone.localdate()
    ids = set(Grant.objects.values_list("account__system_id", flat=True).distinct())
    systems = list(System.objects.filter(pk__in=ids))
    in_force = Grant.objects.filter(active_on_q(today)).count()
    # Raw reference: the same grants' ids and holders written into a scratch table, one statement.
    with transaction.atomic(), connection.cursor() as c:
        t = time.perf_counter()
        c.execute(
            "CREATE TEMP TABLE bench_items AS SELECT g.id AS grant_id, a.system_id, a.person_id "
            "FROM grants_grant g JOIN grants_account a ON a.id = g.account_id "
            "WHERE g.valid_from <= %s AND (g.valid_to IS NULL OR g.valid_to > %s)",
            [today, today],
        )
        raw = time.perf_counter() - t
        c.execute("DROP TABLE bench_items")
    t = time.perf_counter()
    campaign = campaign_open(
        actor=None,
        title="bench",
        systems=systems,
        as_of=today,
        deadline=today + dt.timedelta(days=30),
        today=today,
    )
    took = time.perf_counter() - t
    items = ReviewItem.objects.filter(campaign=campaign).count()
    routed = ReviewItem.objects.filter(campaign=campaign, route="officer").count()
    line(
        f"campaign_open: {items:,} items ({routed:,} to officers) of {in_force:,} grants",
        f"{took:.1f} s",
        f"raw INSERT…SELECT {raw:.1f} s ({took / raw:.1f}×), target ≤ 120 s",
    )
    # The daily re-routing (run-due) over the same campaign: every undecided item's unit recomputed.
    from kengen.reviews.services import campaign_reroute

    t = time.perf_counter()
    moved = campaign_reroute(actor=None, campaign=campaign, today=today)
    took = time.perf_counter() - t
    line(f"campaign_reroute: {items:,} undecided items, {moved:,} moved", f"{took:.1f} s", "no target")


def export_for(accounts: int) -> tuple[object, bytes, int]:
    from kengen.core.models import active_on_q
    from kengen.grants.models import Account, Grant
    from kengen.systems.models import System

    today = timezone.localdate()
    top = (
        Account.objects.filter(active_on_q(today))
        .values("system_id")
        .order_by()
        .annotate(n=django.db.models.Count("id"))
    )
    system_id = max(top, key=lambda r: r["n"])["system_id"]
    system = System.objects.get(pk=system_id)
    held: dict[str, set[str]] = {}
    for uid, code in Grant.objects.filter(active_on_q(today), account__system_id=system_id).values_list(
        "account__user_id", "permission__code"
    ):
        held.setdefault(uid, set()).add(code)
    rng = random.Random(13)
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["user_id", "permissions", "last_sign_in"])
    n = 0
    for uid, perms in held.items():
        if n >= accounts:
            break
        if rng.random() < 0.02:
            continue  # missing on the system
        p = set(perms)
        if rng.random() < 0.02:
            p.add("extra")
        last = today - dt.timedelta(days=rng.randint(0, 400))
        w.writerow([uid, ";".join(sorted(p)), last.isoformat()])
        n += 1
    while n < accounts:
        w.writerow([f"orphan{n:07d}", "inquiry", today.isoformat()])
        n += 1
    return system, out.getvalue().encode("utf-8"), n


def bench_reconcile(accounts: int) -> None:
    from kengen.core.models import active_on_q
    from kengen.grants.models import Grant
    from kengen.reviews.services import ColumnMapping, reconciliation_import

    today = timezone.localdate()
    system, content, n = export_for(accounts)
    t = time.perf_counter()
    rows = list(csv.reader(io.StringIO(content.decode("utf-8"))))
    pairs: dict[str, set[str]] = {}
    for uid, code in Grant.objects.filter(active_on_q(today), account__system_id=system.pk).values_list(
        "account__user_id", "permission__code"
    ):
        pairs.setdefault(uid, set()).add(code)
    raw = time.perf_counter() - t
    del rows
    t = time.perf_counter()
    run = reconciliation_import(
        actor=None,
        system=system,
        as_of=today,
        content=content,
        filename="bench.csv",
        mapping=ColumnMapping(user_id="user_id", permissions="permissions", last_sign_in="last_sign_in"),
        unused_days=180,
    )
    took = time.perf_counter() - t
    findings = run.findings.count()
    line(
        f"reconciliation_import: {n:,} rows ({len(pairs):,} IDs in file), {findings:,} findings",
        f"{took:.1f} s",
        f"raw parse + one SELECT {raw:.1f} s ({took / raw:.1f}×), target ≤ 20 s",
    )


def main() -> int:
    print(f"load average: {open('/proc/loadavg').read().strip()}", flush=True)  # noqa: SIM115
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--reuse", action="store_true", help="keep the generated data")
    args = parser.parse_args()
    print(f"database: {connection.vendor}", flush=True)
    if not args.reuse:
        setup(args.people)
    bench_campaign()
    bench_reconcile(args.accounts)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
