"""Benchmark: the systems' password verify API on the production server, beside raw Argon2id.

    createdb -h 127.0.0.1 -U postgres kengen_bench_verify                        # once
    export DATABASE_URL=postgresql://postgres@127.0.0.1:5432/kengen_bench_verify KENGEN_DATA_DIR=/tmp/kgverify
    uv run kengen migrate                                                         # once
    uv run python bench/verify.py                   # 1, 8 and 32 clients, 20 s each

Prepares (once, in-process, through the services where they exist): the test world's city, the core
package COKAS holding its passwords in Kengen, ``--accounts`` user IDs (default 300) each with a
grant and a password of its own (an Argon2id verifier under the production parameters, written
directly: issuing and revealing 300 temporary passwords would only slow the set-up) and one system
API key. Then starts ``kengen serve --production`` on a free loopback port (its default workers:
2 × cores + 1 of one thread each, no keep-alive), and each client POSTs ``/api/v1/systems/COKAS/verify`` with a
random user ID and its right password, one request at a time, for ``--duration`` seconds.

The reference is measured in the same run, before and after the load: raw Argon2id verifies of
one of those verifiers (``argon2-cffi`` through Django's ``check_password``) on one thread and on
two. Targets (issue 9): ≥ 80 % of the raw two-thread rate at 8 and 32 clients; p99 ≤ 3 × one
verify at 8 clients. Only loopback addresses; every run bounded. Asserts nothing: figures go to
docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import (  # bench/ is not a package: load.py beside this file
    cpu_seconds,
    database_backend_pids,
    loopback_only,
    percentiles,
    server_pids,
    start_server,
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kengen.settings")
PREFIX = "BENCHV"


def prepare(accounts: int) -> tuple[str, dict[str, str], str]:
    """``(raw system key, {user ID: password}, one verifier)``; creates what is missing."""
    import logging

    import django

    django.setup()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request would cost CPU here
    from django.db import connection, transaction
    from django.utils import timezone

    from kengen.credentials.choices import CredentialMode
    from kengen.credentials.models import Credential, SystemApiKey
    from kengen.credentials.passwords import hash_password
    from kengen.credentials.services import credential_policy_set, system_api_key_create
    from kengen.grants.choices import GrantBasis
    from kengen.grants.models import Account
    from kengen.grants.services import account_create, grant_create
    from kengen.systems.models import System
    from kengen.testing import START, build_world

    if connection.vendor != "postgresql":
        sys.exit("set DATABASE_URL to a PostgreSQL database (the issue's figures are on PostgreSQL)")
    if not System.objects.filter(code="COKAS").exists():
        print("building the test world (once)…", flush=True)
        with transaction.atomic():
            world = build_world()
            core, _tax = world.core()
            credential_policy_set(actor=world.users["joho_head"], system=core, mode=CredentialMode.KENGEN)
    core = System.objects.get(code="COKAS")
    tax = System.objects.get(code="CK-TAX")
    from kengen.users.models import User

    admin = User.objects.get(username="joho-head")
    people = [u.person for u in User.objects.filter(person__isnull=False).select_related("person")[:8]]
    passwords: dict[str, str] = {}
    rng = random.Random(20261202)  # the same passwords on every run: the verifiers stay valid
    existing = set(
        Account.objects.filter(system=core, user_id__startswith=PREFIX).values_list("user_id", flat=True)
    )
    made = 0
    for i in range(accounts):
        user_id = f"{PREFIX}{i:04d}"
        passwords[user_id] = "-".join(f"{rng.getrandbits(40):010x}" for _ in range(3))
        if user_id in existing:
            continue
        with transaction.atomic():
            account = account_create(
                actor=None, system=core, user_id=user_id, person=people[i % len(people)], valid_from=START
            )
            grant_create(
                actor=None,
                account=account,
                permission=tax.permissions.get(code="inquiry"),
                valid_from=START,
                basis=GrantBasis.INITIAL_LOAD,
            )
            Credential.objects.update_or_create(
                account=account,
                defaults={
                    "verifier": hash_password(passwords[user_id]),
                    "is_temporary": False,
                    "temporary_expires_at": None,
                    "changed_at": timezone.now(),
                    "expires_at": None,
                },
            )
        made += 1
    if made:
        print(f"created {made} user IDs with passwords", flush=True)
    SystemApiKey.objects.filter(system=core, name="bench-verify", revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    raw = system_api_key_create(actor=admin, system=core, name="bench-verify").raw
    verifier = Credential.objects.get(account__system=core, account__user_id=f"{PREFIX}0000").verifier
    return raw, passwords, verifier


# --- the reference: raw Argon2id ---------------------------------------------------------------


def raw_rate(password: str, verifier: str, threads: int, seconds: float) -> float:
    """Verifies a second of ``verifier`` on ``threads`` threads (argon2-cffi releases the GIL)."""
    from kengen.credentials.passwords import verify_password

    counts = [0] * threads
    until = time.monotonic() + seconds

    def work(n: int) -> None:
        while time.monotonic() < until:
            if not verify_password(password, verifier):
                raise RuntimeError("the reference verifier does not verify")
            counts[n] += 1

    started = time.perf_counter()
    pool = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return sum(counts) / (time.perf_counter() - started)


# --- load --------------------------------------------------------------------------------------


async def client_loop(base: str, key: str, passwords: dict[str, str], until: float, seed: int, out: dict):
    rng = random.Random(seed)
    ids = sorted(passwords)
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=30) as client:
        while time.monotonic() < until:
            user_id = rng.choice(ids)
            start = time.perf_counter()
            try:
                r = await client.post(
                    "/api/v1/systems/COKAS/verify", json={"user_id": user_id, "password": passwords[user_id]}
                )
                ok = r.status_code == 200 and r.json()["result"] == "valid"
                if r.status_code != 200:
                    out["statuses"][r.status_code] = out["statuses"].get(r.status_code, 0) + 1
            except httpx.HTTPError:
                ok = False
            out["latencies"].append(time.perf_counter() - start)
            out["errors"] += 0 if ok else 1


async def raw_client_loop(base: str, key: str, passwords: dict[str, str], until: float, seed: int, out: dict):
    """The same requests as ``client_loop`` over one kept-alive HTTP/1.1 connection written and read
    with asyncio streams: the load generator shares the two cores with the server, and httpx cost
    ≈ 3 ms of this process's CPU a request, i.e. ≈ 10 % of the machine at 60 req/s."""
    rng = random.Random(seed)
    ids = sorted(passwords)
    parts = urlsplit(base)
    bodies = {u: json.dumps({"user_id": u, "password": passwords[u]}).encode() for u in ids}
    head = (
        f"POST /api/v1/systems/COKAS/verify HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
    ).encode()
    reader = writer = None
    while time.monotonic() < until:
        user_id = rng.choice(ids)
        body = bodies[user_id]
        start = time.perf_counter()
        ok = False
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
            assert reader is not None
            writer.write(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
            status_line = await reader.readline()
            status = int(status_line.split()[1])
            length, close = 0, False
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
            payload = await reader.readexactly(length)
            ok = status == 200 and b'"result": "valid"' in payload
            if status != 200:
                out["statuses"][status] = out["statuses"].get(status, 0) + 1
            if close:
                writer.close()
                reader = writer = None
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
            if writer is not None:
                writer.close()
            reader = writer = None
        out["latencies"].append(time.perf_counter() - start)
        out["errors"] += 0 if ok else 1
    if writer is not None:
        writer.close()


async def run_load(
    base: str, key: str, passwords: dict[str, str], clients: int, duration: float, raw: bool = True
):
    out: dict = {"latencies": [], "errors": 0, "statuses": {}}
    until = time.monotonic() + duration
    started = time.perf_counter()
    loop = raw_client_loop if raw else client_loop
    await asyncio.gather(*(loop(base, key, passwords, until, i, out) for i in range(clients)))
    return out, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--url", help="a running server on loopback (default: start one)")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per run (at most 120)")
    parser.add_argument("--accounts", type=int, default=300, help="user IDs with passwords (at most 5000)")
    parser.add_argument(
        "--client",
        choices=["raw", "httpx"],
        default="raw",
        help="load generator: asyncio streams (default, cheapest) or httpx (as before 2026-12-02 08:00)",
    )
    args = parser.parse_args()
    duration = min(max(args.duration, 1.0), 120.0)
    if max(args.clients) > 256 or not 1 <= args.accounts <= 5000:
        sys.exit("at most 256 clients and 5000 accounts")
    if "KENGEN_SECRET_KEY" not in os.environ:  # the server and this script must share it
        if args.url:
            sys.exit("set KENGEN_SECRET_KEY to the running server's key")
        os.environ["KENGEN_SECRET_KEY"] = secrets.token_urlsafe(50)

    key, passwords, verifier = prepare(args.accounts)
    from django.conf import settings

    sample = passwords[f"{PREFIX}0000"]
    print(f"Argon2id parameters: {settings.KENGEN_ARGON2}; verifier {verifier.split('$')[3]}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    ref_before = (raw_rate(sample, verifier, 1, 5.0), raw_rate(sample, verifier, 2, 5.0))
    print(f"raw Argon2id verify before the load: {ref_before[0]:.1f}/s one thread, {ref_before[1]:.1f}/s two")

    process = None
    if args.url:
        base = loopback_only(args.url)
    else:
        base, process = start_server()
    rows = []
    try:
        raw = args.client == "raw"
        asyncio.run(run_load(base, key, passwords, max(args.clients), 3.0, raw))  # warm up every worker
        for clients in args.clients:
            app_pids = server_pids(process.pid) if process else []
            db_pids = database_backend_pids()
            before = cpu_seconds(app_pids + db_pids)
            mine = time.process_time()
            out, elapsed = asyncio.run(run_load(base, key, passwords, clients, duration, raw))
            mine = time.process_time() - mine
            after = cpu_seconds(app_pids + db_pids)

            def used(pids: list[int], before=before, after=after) -> float:
                return sum(after[p] - before.get(p, 0.0) for p in pids if p in after)

            rows.append((clients, out, elapsed, used(app_pids), used(db_pids), mine))
            print(f"  {clients} clients done: {len(out['latencies']) / elapsed:.1f} req/s", flush=True)
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
    ref_after = (raw_rate(sample, verifier, 1, 5.0), raw_rate(sample, verifier, 2, 5.0))
    print(f"raw Argon2id verify after the load: {ref_after[0]:.1f}/s one thread, {ref_after[1]:.1f}/s two")
    one = (ref_before[0] + ref_after[0]) / 2
    two = (ref_before[1] + ref_after[1]) / 2
    single_ms = 1000 / one
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"\nreference (mean of before and after): {one:.1f}/s one thread ({single_ms:.1f} ms a verify), "
        f"{two:.1f}/s two threads\n"
    )
    print(
        "| clients | requests | req/s | % of raw 2-thread | p50 ms | p99 ms | p99 / one verify | errors "
        "| server CPU ms/request (gunicorn + PostgreSQL) | load generator CPU ms/request |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for clients, out, elapsed, app, db, mine in rows:
        n = len(out["latencies"])
        p50, _p95, p99 = percentiles(out["latencies"])
        cpu = (
            f"{(app + db) * 1000 / n:.0f} ({app * 1000 / n:.0f} + {db * 1000 / n:.0f})"
            if n and process
            else ""
        )
        errors = f"{out['errors']}" + (f" {out['statuses']}" if out["statuses"] else "")
        print(
            f"| {clients} | {n} | {n / elapsed:.1f} | {100 * n / elapsed / two:.0f} % | {p50 * 1000:.0f} | "
            f"{p99 * 1000:.0f} | {p99 * 1000 / single_ms:.1f} × | {errors} | {cpu} | "
            f"{mine * 1000 / n if n else 0:.1f} |"
        )


if __name__ == "__main__":
    main()
