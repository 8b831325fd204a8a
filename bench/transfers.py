"""Benchmark: the bulk personnel wave (issue 12) — import+validate, preview and apply of an HR list
touching 40 % of N staff, beside the raw reference of writing the same rows.

    uv run python bench/transfers.py --people 10000                       # SQLite (KENGEN_DATA_DIR)
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/kg_bench \\
        uv run python bench/transfers.py --people 100000

Empties the database it is given, loads the Kitami profile's tables (no demo staff), generates N
staff in a generated organization tree with ~10 grants each (``kengen.profiles.scale``; a fifth of
the grants are made direct grants, 別表第2 covers half of the generated divisions), then writes an
HR list in CP932: 30 % of staff move to another unit (half of them across the 別表第2 boundary),
5 % retire, and 5 % of N new hires join. The measured work runs in a child process so that its
peak memory (max RSS) is its own:

- import+validate: read the file, detect the encoding, validate every row against the records;
- preview: the consequence engine over the whole file and the preview lines (bulk);
- apply: one transaction — rows, revocations, caps, notices, audit events (one chain-head lock);
- raw reference: the same number of rows written with COPY (PostgreSQL) / executemany (SQLite) —
  assignments ended and started, grants ended, audit events — in a rolled-back transaction;
- ``audit verify`` after the wave.

``BENCH_PROFILE=FILE`` writes cProfile stats (``FILE.import``: import+validate+preview; ``FILE``:
apply); ``BENCH_STOP_AFTER_PREVIEW=1`` stops after the preview (to time or profile it alone).

Not a test: it asserts nothing. Figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import resource
import subprocess
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kengen.settings")
os.environ.setdefault("KENGEN_DATA_DIR", "/tmp/kg-bench-transfers")  # noqa: S108 (a benchmark's scratch)
os.environ.setdefault("KENGEN_DEBUG", "0")

import django

django.setup()

import datetime as dt  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

EFFECTIVE = dt.date(2025, 4, 1)
FILE = os.path.join(os.environ["KENGEN_DATA_DIR"], "wave.csv")


def line(label: str, value: str, ref: str = "") -> None:
    print(f"{label:<52} {value:>12}   {ref}", flush=True)


def setup(people: int, seed: int) -> None:
    from kengen.eligibility.services import eligibility_entry_create
    from kengen.organizations.models import Organization
    from kengen.profiles.scale import START, generate
    from kengen.profiles.services import profile_load

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    t = time.perf_counter()
    profile_load(name="kitami", demo_staff=False)
    g = generate(people=people, grants_per_person=10, seed=seed, direct_every=5)
    divisions = list(Organization.objects.filter(code__regex=r"^SC\d+$").order_by("code"))
    for d in divisions[: len(divisions) // 2]:
        eligibility_entry_create(actor=None, organization=d, valid_from=START)
    line(
        f"generate {g.people:,} staff, {g.grants:,} grants, {g.units:,} units",
        f"{time.perf_counter() - t:.1f} s",
    )
    write_wave(people, seed)


def write_wave(people: int, seed: int) -> None:
    """30 % movers (clerks only: heads stay), 5 % leavers, 5 % joiners, in CP932."""
    from kengen.organizations.models import Post
    from kengen.people.models import Assignment

    rng = random.Random(seed)
    clerk_post = Post.objects.filter(is_head=False).order_by("-rank", "id").first()
    assert clerk_post is not None
    clerks = list(
        Assignment.objects.filter(
            post__is_head=False, organization__code__startswith="SC", valid_to__isnull=True
        )
        .order_by("person_id")
        .values_list("person__staff_number", "organization__code")
    )
    sections = sorted({code for _n, code in clerks})
    rng.shuffle(clerks)
    n_move, n_end, n_hire = int(people * 0.30), int(people * 0.05), int(people * 0.05)
    out = io.StringIO(newline="")
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(
        [
            "職員番号",
            "氏",
            "名",
            "氏カナ",
            "名カナ",
            "所属コード",
            "職",
            "任用区分",
            "任用終了日",
            "発令日",
            "異動区分",
        ]
    )
    for number, code in clerks[:n_move]:
        target = rng.choice(sections)
        while target == code:
            target = rng.choice(sections)
        w.writerow([number, "", "", "", "", target, "", "", "", "", "異動"])
    for number, _code in clerks[n_move : n_move + n_end]:
        w.writerow([number, "", "", "", "", "", "", "", "", "", "退職"])
    for i in range(n_hire):
        fy = i % 4 == 0
        w.writerow(
            [
                f"H{i:08d}",
                "髙橋",
                f"﨑子{i}",
                "タカハシ",
                "サキコ",
                rng.choice(sections),
                clerk_post.code,
                "会計年度(パートタイム)" if fy else "正規",
                "2026-03-31" if fy else "",
                "",
                "採用",
            ]
        )
    data = out.getvalue().encode("cp932")
    with open(FILE, "wb") as f:
        f.write(data)
    line(f"HR list: {n_move + n_end + n_hire:,} rows (CP932)", f"{len(data) / 1e6:.1f} MB")


def raw_reference(result: dict) -> float:
    """The same number of rows written the plainest way, then rolled back."""
    from kengen.audit.models import AuditEvent
    from kengen.grants.models import Grant
    from kengen.people.models import Assignment
    from kengen.profiles.scale import bulk_write, next_id

    n_assign = result.get("assignments_started", 0)
    n_events = result.get("events", 0)
    assignment_ids = list(
        Assignment.objects.order_by("id").values_list("id", flat=True)[: result.get("assignments_ended", 0)]
    )
    grant_ids = list(
        Grant.objects.order_by("id").values_list("id", flat=True)[: result.get("grants_ended", 0)]
    )
    template = Assignment.objects.order_by("id").values("person_id", "organization_id", "post_id").first()
    assert template is not None
    t = time.perf_counter()
    try:
        with transaction.atomic():
            first = next_id(Assignment)
            bulk_write(
                Assignment,
                (
                    dict(id=first + i, valid_from=EFFECTIVE, is_primary=True, **template)
                    for i in range(n_assign)
                ),
            )
            table_a, table_g = Assignment._meta.db_table, Grant._meta.db_table
            any_a = f"UPDATE {table_a} SET valid_to = %s WHERE id = ANY(%s)"  # noqa: S608 (model tables)
            any_g = f"UPDATE {table_g} SET valid_to = %s WHERE id = ANY(%s)"  # noqa: S608
            one_a = f"UPDATE {table_a} SET valid_to = %s WHERE id = %s"  # noqa: S608
            one_g = f"UPDATE {table_g} SET valid_to = %s WHERE id = %s"  # noqa: S608
            with connection.cursor() as c:
                if connection.vendor == "postgresql":
                    c.execute(any_a, [EFFECTIVE, assignment_ids])
                    c.execute(any_g, [EFFECTIVE, grant_ids])
                else:
                    c.executemany(one_a, [(EFFECTIVE, i) for i in assignment_ids])
                    c.executemany(one_g, [(EFFECTIVE, i) for i in grant_ids])
            first_e = next_id(AuditEvent)
            seq0 = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
            value = {"valid_to": "2025-04-01", "end_reason": "transfer"}
            bulk_write(
                AuditEvent,
                (
                    dict(
                        id=first_e + i,
                        seq=seq0 + 1 + i,
                        occurred_at=dt.datetime.now(dt.UTC),
                        actor_label="bench",
                        action="assignment.ended",
                        target_type="people.assignment",
                        target_id=str(i),
                        target_label=f"assignment {i}",
                        new=value,
                        prev_hash=f"{i:064x}",
                        hash=f"{i + 1:064x}",
                        canon=2,
                    )
                    for i in range(n_events)
                ),
            )
            elapsed = time.perf_counter() - t
            raise _Rollback
    except _Rollback:
        pass
    return elapsed


class _Rollback(Exception):
    pass


def measure() -> None:
    """The child: import+validate, preview, apply, raw reference, verify."""
    from kengen.audit.services import audit_verify
    from kengen.hrwave.services import wave_apply, wave_import

    marks: dict[str, float] = {}

    def maxrss() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def progress(phase: str, done: int, total: int) -> None:
        if f"first:{phase}" not in marks:
            marks[f"rss before:{phase}"] = maxrss()  # the peak of the phases before this one
        marks.setdefault(f"first:{phase}", time.perf_counter())
        marks[f"last:{phase}"] = time.perf_counter()

    data = open(FILE, "rb").read()  # noqa: SIM115
    t0 = time.perf_counter()
    profile = os.environ.get("BENCH_PROFILE")
    kwargs = dict(actor=None, data=data, file_name="wave.csv", effective_on=EFFECTIVE, progress=progress)
    if profile:
        import cProfile

        prof = cProfile.Profile()
        wave = prof.runcall(wave_import, **kwargs)
        prof.dump_stats(f"{profile}.import")
    else:
        wave = wave_import(**kwargs)
    t_done = time.perf_counter()
    assert not wave.errors, wave.errors[:5]
    t_validated = marks.get("last:validate", t0)
    line(f"import+validate {wave.row_count:,} rows ({wave.encoding})", f"{t_validated - t0:.1f} s")
    line("preview (consequences + lines)", f"{t_done - t_validated:.1f} s")
    for key in (
        "movers",
        "leavers",
        "joiners",
        "direct_revocations",
        "newly_eligible",
        "form1_flags",
        "appointment_caps",
        "network_registrations",
        "roles_gained",
        "roles_lost",
    ):
        print(f"    {key:<24} {wave.totals.get(key, 0):>10,}")
    rss_preview = maxrss()
    rss_validate = marks.get("rss before:preview", 0.0)
    if os.environ.get("BENCH_STOP_AFTER_PREVIEW"):
        line("peak memory, up to the end of the preview (max RSS)", f"{rss_preview:,.0f} MB")
        return
    t = time.perf_counter()
    # The wave is dated 2025-04-01, in the past on the machine's clock: applied now (back-dated).
    if profile:
        prof = cProfile.Profile()
        result = prof.runcall(wave_apply, actor=None, wave=wave)
        prof.dump_stats(profile)
    else:
        result = wave_apply(actor=None, wave=wave)
    apply_s = time.perf_counter() - t
    rss_apply = maxrss()
    rows = sum(
        result.get(k, 0) for k in ("assignments_ended", "assignments_started", "grants_ended", "events")
    )
    line("apply (one transaction)", f"{apply_s:.1f} s", f"{rows / apply_s:,.0f} rows/s")
    for key, value in sorted(result.items()):
        print(f"    {key:<24} {value:>10,}")
    raw = raw_reference(result)
    line(
        f"raw reference ({'COPY' if connection.vendor == 'postgresql' else 'executemany'}, same rows)",
        f"{raw:.2f} s",
        f"apply = {raw / apply_s:.0%} of raw",
    )
    t = time.perf_counter()
    ok = audit_verify().ok
    line("audit verify after the wave", f"{time.perf_counter() - t:.1f} s", "ok" if ok else "BROKEN")
    line("peak memory, read + import + validate (max RSS)", f"{rss_validate:,.0f} MB")
    line("peak memory, up to the end of the preview (max RSS)", f"{rss_preview:,.0f} MB")
    line("peak memory, up to the end of apply (max RSS)", f"{rss_apply:,.0f} MB")
    line("peak memory, with raw reference and verify (max RSS)", f"{maxrss():,.0f} MB")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--people", type=int, default=10_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--setup-only",
        action="store_true",
        help="generate the world and the HR list, measure nothing (copy the database, e.g. with "
        "createdb -T, and run --measure-only on each copy)",
    )
    p.add_argument(
        "--measure-only",
        action="store_true",
        help="measure on a database (and HR list in KENGEN_DATA_DIR) made by --setup-only",
    )
    p.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.measure:
        measure()
        return
    print(f"database: {connection.vendor}; staff: {a.people:,}; cores: {os.cpu_count()}", flush=True)
    if a.measure_only:
        call_command("migrate", verbosity=0)
    else:
        setup(a.people, a.seed)
    if a.setup_only:
        return
    connection.close()
    subprocess.run([sys.executable, __file__, "--measure"], check=True)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    line("peak memory of import+preview+apply (max RSS)", f"{peak:,.0f} MB")


if __name__ == "__main__":
    main()
