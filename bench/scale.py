"""Benchmark: the management file and the audit log at scale, each figure beside a raw reference.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/kg_scale \\
        uv run python bench/scale.py --people 100000 --events 1000000

Empties the database it is given (flush), loads the Kitami profile's tables (no demo staff), then
generates N people / 10·N grants (``kengen.profiles.scale``, COPY on PostgreSQL, executemany on
SQLite) and M audit events (hash-chained, signed, COPY), and prints:

- management-file page 1 and page 500 (or the officer's last page) for the auditor and a security
  officer, through the API and the UI view, beside the same page's SQL replayed raw;
- full CSV and XLSX export time and peak memory (a forked process each) beside a raw SQL read;
- ``audit verify`` beside a raw HMAC over the same canonical bytes.

Not a test: it asserts nothing. Figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import os
import resource
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kengen.settings")
os.environ.setdefault("KENGEN_DATA_DIR", "/tmp/kg-bench-scale")  # noqa: S108 (a benchmark's scratch)
os.environ.setdefault("KENGEN_DEBUG", "0")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, RequestFactory  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

settings.ALLOWED_HOSTS = ["*"]
AS_OF = None


def line(label: str, value: str, ref: str = "") -> None:
    print(f"{label:<58} {value:>14}   {ref}", flush=True)


def best(fn, repeat: int = 5) -> tuple[float, object]:
    runs, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - t)
    return min(runs), result


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


# --- data -----------------------------------------------------------------------------------------


def generate_audit(n: int) -> None:
    """``n`` events continuing the chain, signed with the current key, written with COPY."""
    from django.utils import timezone

    from kengen.audit.keys import key_ring
    from kengen.audit.models import AuditChainHead, AuditEvent
    from kengen.audit.services import CANON_FIELDS, _canon_fields, _db_texts, _pg_time
    from kengen.profiles.scale import bulk_write

    ring = key_ring()
    head = AuditChainHead.objects.get(id=1)
    prev, seq0 = head.last_hash, head.last_seq
    value = {"grant": 1, "valid_from": "2024-04-01", "basis": "initial_load"}
    _old, new_text, _ip = _db_texts(None, value, None)
    first_id = (AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    now = timezone.now()
    stamp = _pg_time(now)

    def rows():
        nonlocal prev
        for i in range(n):
            seq = seq0 + 1 + i
            occurred = now
            msg = _canon_fields(
                (
                    str(seq),
                    stamp,
                    None,
                    "bench",
                    "grant.created",
                    "grants.grant",
                    str(i),
                    f"grant {i}",
                    "R6-bench",
                    None,
                    new_text,
                    None,
                    prev,
                    str(ring.signer),
                )
            )
            digest = hmac.new(ring.signing_key, msg, hashlib.sha256).hexdigest()
            yield dict(
                id=first_id + i,
                seq=seq,
                occurred_at=occurred,
                actor_label="bench",
                action="grant.created",
                target_type="grants.grant",
                target_id=str(i),
                target_label=f"grant {i}",
                application_ref="R6-bench",
                old=None,
                new=value,
                ip_address=None,
                prev_hash=prev,
                hash=digest,
                key_id=ring.signer,
                canon=CANON_FIELDS,
            )
            prev = digest

    bulk_write(AuditEvent, rows())
    AuditChainHead.objects.filter(id=1).update(last_seq=seq0 + n, last_hash=prev)
    if connection.vendor == "postgresql":
        with connection.cursor() as c:
            c.execute("ANALYZE audit_auditevent")


def setup(people: int, events: int) -> None:
    from kengen.profiles.scale import generate
    from kengen.profiles.services import profile_load

    call_command("migrate", verbosity=0)
    if connection.vendor == "postgresql":
        call_command("flush", interactive=False, verbosity=0)
    t = time.perf_counter()
    profile_load(name="kitami", demo_staff=False)
    line("load the Kitami profile's tables (services)", ms(time.perf_counter() - t))
    t = time.perf_counter()
    g = generate(people=people, grants_per_person=10)
    line(
        f"generate {g.people:,} people, {g.accounts:,} IDs, {g.grants:,} grants",
        f"{time.perf_counter() - t:.1f} s",
    )
    t = time.perf_counter()
    generate_audit(events)
    line(f"generate {events:,} audit events (HMAC-chained, COPY)", f"{time.perf_counter() - t:.1f} s")


# --- measurements ----------------------------------------------------------------------------------


def users():
    from kengen.people.models import Assignment
    from kengen.profiles.scale import START
    from kengen.roles.services import role_designate
    from kengen.users.models import User
    from kengen.users.services import api_token_create

    auditor = User.objects.filter(username="bench-auditor").first() or User.objects.create_user(
        "bench-auditor"
    )
    with contextlib.suppress(Exception):  # already designated on a re-run
        role_designate(actor=None, user=auditor, role="auditor", valid_from=START)
    head = (
        Assignment.objects.filter(post__is_head=True, organization__code__startswith="SC")
        .order_by("organization__code")
        .first()
    )
    officer = User.objects.filter(username="bench-officer").first() or User.objects.create_user(
        "bench-officer", person_id=head.person_id
    )
    tokens = {u.username: api_token_create(user=u, name="bench").raw for u in (auditor, officer)}
    return [("auditor", auditor, tokens[auditor.username]), ("officer", officer, tokens[officer.username])]


def replay(sqls: list[tuple[str, list]]) -> float:
    t = time.perf_counter()
    with connection.cursor() as c:
        for sql, params in sqls:
            c.execute(sql, params)
            c.fetchall()
    return time.perf_counter() - t


def page_figures(name: str, user, token: str, as_of) -> None:
    from kengen.grants.selectors import FileFilter, management_file_listing
    from kengen.grants.views import management_file_view

    listing = management_file_listing(user=user, flt=FileFilter(as_of=as_of))
    count, exact = listing.count()
    cursor, page, number = None, None, 1
    while number < 500:
        page = listing.page(listing.cursor(cursor), limit=100)
        if not page.next_cursor:
            break
        cursor, number = page.next_cursor, number + 1
    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    factory = RequestFactory()
    for label, cur in (("page 1", None), (f"page {number}", cursor)):
        q = f"/api/v1/grants?on={as_of.isoformat()}&limit=100" + (f"&cursor={cur}" if cur else "")
        client.get(q, **auth)  # warm
        with CaptureQueriesContext(connection) as ctx:
            client.get(q, **auth)
        sqls = [
            (x["sql"], [])
            for x in ctx.captured_queries
            if '"grants_grant"' in x["sql"] and "LIMIT" in x["sql"]
        ]
        api, _ = best(lambda q=q: client.get(q, **auth))
        raw, _ = best(lambda sqls=sqls: replay(sqls))
        line(
            f"{name}: API {label} ({count:,}{'' if exact else '+'} rows)",
            ms(api),
            f"raw SQL of that page {ms(raw)} ({api / raw:.1f}×)",
        )

        def ui(cur=cur):
            request = factory.get("/grants/", {"on": as_of.isoformat(), **({"cursor": cur} if cur else {})})
            request.user = user
            request.session = {}
            from django.contrib.messages.storage.fallback import FallbackStorage

            request._messages = FallbackStorage(request)
            return management_file_view(request)

        ui_t, _ = best(ui)
        line(f"{name}: UI  {label}", ms(ui_t), f"raw SQL of that page {ms(raw)} ({ui_t / raw:.1f}×)")


def export_in_child(fmt: str, as_of) -> tuple[float, float, int]:
    """Run the export view in a fresh interpreter (``--export FMT``): seconds, peak RSS MB, bytes."""
    import subprocess

    out = subprocess.run(
        [sys.executable, __file__, "--export", fmt, "--on", as_of.isoformat()],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return float(out[0]), float(out[1]), int(out[2])


def export_here(fmt: str, on: str) -> None:
    from django.contrib.messages.storage.fallback import FallbackStorage

    from kengen.grants.views import management_file_view
    from kengen.users.models import User

    request = RequestFactory().get("/grants/", {"on": on, "format": fmt})
    request.user = User.objects.get(username="bench-auditor")
    request.session = {}
    request._messages = FallbackStorage(request)
    t = time.perf_counter()
    response = management_file_view(request)
    size = sum(len(chunk) for chunk in response.streaming_content)
    took = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{took} {peak} {size}")


def canonical_messages() -> list[bytes]:
    """Every event's canonical bytes, read once (not timed): what ``audit verify`` HMACs."""
    from kengen.audit.services import _rows

    return [message for _seq, _prev, _hash, _key, message in _rows(1, None)]


def raw_read(as_of) -> float:
    sql = (
        "SELECT s.name, ps.name, a.user_id, a.kind, p.staff_number, p.family_name, p.given_name, p.family_name_kana,"
        " perm.name, g.purpose, g.valid_from, g.valid_to, g.basis, g.basis_reference"
        " FROM grants_grant g JOIN grants_account a ON a.id = g.account_id JOIN systems_system s ON s.id = a.system_id"
        " JOIN systems_systempermission perm ON perm.id = g.permission_id JOIN systems_system ps ON ps.id = perm.system_id"
        " LEFT JOIN people_person p ON p.id = a.person_id"
        " WHERE g.valid_from <= %s AND (g.valid_to IS NULL OR g.valid_to > %s)"
        " AND a.valid_from <= %s AND (a.valid_to IS NULL OR a.valid_to > %s)"
        " ORDER BY s.sort_order, s.id, a.user_id, a.id, ps.sort_order, perm.sort_order, g.id"
    )
    t = time.perf_counter()
    if connection.vendor == "postgresql":
        from django.db import transaction

        with transaction.atomic(), connection.connection.cursor(name="bench_raw") as cur:
            cur.itersize = 20000
            cur.execute(sql, [as_of] * 4)
            for _ in cur:
                pass
    else:
        with connection.cursor() as cur:
            cur.execute(sql, [as_of] * 4)
            while cur.fetchmany(20000):
                pass
    return time.perf_counter() - t


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="keep the data a previous run generated")
    parser.add_argument("--skip-exports", action="store_true")
    parser.add_argument(
        "--regenerate-audit",
        action="store_true",
        help="with --reuse: empty the audit log and generate it again",
    )
    parser.add_argument("--export", help=argparse.SUPPRESS)
    parser.add_argument("--on", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export:
        export_here(args.export, args.on)
        return 0
    from kengen.grants.models import Grant
    from kengen.profiles.scale import START

    as_of = START
    if not (args.reuse and Grant.objects.exists()):
        setup(args.people, args.events)
    elif args.regenerate_audit:
        from kengen.audit.models import AuditChainHead
        from kengen.audit.services import GENESIS

        with connection.cursor() as c:
            c.execute("TRUNCATE audit_auditevent")  # the triggers refuse DELETE, not TRUNCATE
        AuditChainHead.objects.update_or_create(id=1, defaults={"last_seq": 0, "last_hash": GENESIS})
        t = time.perf_counter()
        generate_audit(args.events)
        line(
            f"generate {args.events:,} audit events (HMAC-chained, COPY)", f"{time.perf_counter() - t:.1f} s"
        )
    for name, user, token in users():
        page_figures(name, user, token, as_of)
    if not args.skip_exports:
        raw = raw_read(as_of)
        for fmt in ("csv", "xlsx"):
            took, peak, size = export_in_child(fmt, as_of)
            line(
                f"auditor: full {fmt.upper()} export ({size / 1e6:.0f} MB)",
                f"{took:.1f} s",
                f"peak RSS {peak:.0f} MB; raw SQL read of the same rows {raw:.1f} s",
            )
    from kengen.audit.keys import key_ring
    from kengen.audit.services import audit_verify

    ring = key_ring()
    messages = canonical_messages()
    key = ring.signing_key
    t = time.perf_counter()
    for m in messages:
        hmac.digest(key, m, "sha256").hex()
    raw_hmac = time.perf_counter() - t
    del messages
    runs = []
    for _ in range(3):
        t = time.perf_counter()
        result = audit_verify()
        runs.append(time.perf_counter() - t)
    v = min(runs)
    line(
        f"audit verify, {result.checked:,} events (ok={result.ok})",
        f"{v:.2f} s",
        f"raw HMAC over the same bytes, one core {raw_hmac:.2f} s ({v / raw_hmac:.1f}×); "
        f"median {statistics.median(runs):.2f} s",
    )
    print(f"database: {connection.vendor}; python {sys.version.split()[0]}; cores {os.cpu_count()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
