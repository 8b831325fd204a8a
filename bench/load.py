"""Benchmark: signed-in pages under concurrent clients against the production server.

    createdb -h 127.0.0.1 -U postgres kengen_bench                    # once
    export DATABASE_URL=postgresql://postgres@127.0.0.1:5432/kengen_bench KENGEN_DATA_DIR=/tmp/kgbench
    uv run kengen migrate && uv run kengen demo                         # once: the Kitami demo data
    uv run python bench/load.py --start-server                          # 16 and 64 clients, 20 s each

``--start-server`` runs ``kengen serve --production`` on a free loopback port with this
environment (its defaults since 2026-12-02 11:00: 2 × cores + 1 workers of one thread, no keep-alive,
so each request is a new connection, closed by the server; ``KENGEN_WORKERS``, ``KENGEN_THREADS``
and ``KENGEN_KEEPALIVE`` in the environment change them); ``--url http://127.0.0.1:PORT``
measures a server that is already running (with the same database and secret key). Only loopback
addresses are accepted, and every run is bounded by ``--duration``.

Sign-in goes through the real pages (password, then the authenticator code, computed here from a
device the script confirms through the services) for the demo's security officers, the auditor, an
administrator and a staff member; then each client requests the signed-in pages in turn, each
client on one of those sessions. A response counts as an error unless it is a 200 whose body
holds the page's title as that user first saw it and ends the document. Prints requests/s, p50/p95/p99 and errors per scenario and per
page. The clients write prebuilt requests over kept-alive HTTP/1.1 connections with asyncio streams
(``--client httpx`` for the httpx clients used before 2026-12-02 08:00, ≈ 3 ms of CPU a request
on the cores the server uses); the load generator's own CPU per request is printed beside the
server's. With ``--start-server`` the same clients then load the raw reference in the same run:
``bench/reference_server.py``, the same gunicorn settings serving the home page's bytes from a
trivial WSGI function (no Django, no database) — the ceiling this machine, server and load generator
allow. ``--write-every 0 10 1`` runs each scenario again with a write every 10 s and every second
(``Writer``): the page bodies kept under data versions are then built again after each write. Figures go to docs/performance.md. This is not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kengen.settings")

USERS = ["joho-kacho", "shokuin-kacho", "shiminzei-kacho", "hoiku-kacho", "kansa", "shokuin"]
PAGES = ["/", "/people/", "/applications/", "/inbox/", "/systems/", "/organizations/"]
SCENARIOS = {"pages": PAGES, "home": ["/"]}


# --- preparation (in-process, through the services) ------------------------------------------


def prepare_users() -> dict[str, object]:
    """Acknowledge the A9 duties and confirm an authenticator app for each bench user, as they
    would at their first sign-in; return their devices (for the codes)."""
    import logging

    import django

    django.setup()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request would cost CPU here
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from kengen.acknowledgements import texts
    from kengen.acknowledgements.selectors import acknowledgement_due
    from kengen.acknowledgements.services import acknowledgement_record
    from kengen.users.models import User
    from kengen.users.services import totp_device_confirm, totp_device_start

    def code(device) -> str:
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        return f"{totp.token():0{device.digits}d}"

    devices: dict[str, object] = {}
    for username in USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            sys.exit(f"no user {username}: load the demo first (kengen migrate && kengen demo)")
        if acknowledgement_due(user=user):
            acknowledgement_record(user=user, text_version=texts.CURRENT_VERSION)
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            pending = totp_device_start(user=user)
            device = totp_device_confirm(user=user, device_id=pending.pk, code=code(pending)).device
        devices[username] = (device, code)
    return devices


def sign_in(base: str, username: str, password: str, device_and_code) -> httpx.Cookies:
    """Sign in through the real pages; return the session's cookies."""
    with httpx.Client(base_url=base, follow_redirects=False, timeout=30) as client:

        def csrf(path: str) -> str:
            page = client.get(path)
            page.raise_for_status()
            return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)

        form = {"username": username, "password": password, "csrfmiddlewaretoken": csrf("/login/")}
        response = client.post("/login/", data=form)
        if response.status_code != 302:
            sys.exit(f"sign-in of {username} refused ({response.status_code})")
        if response.headers["location"].startswith("/login/second-factor/"):
            device, code = device_and_code
            for _attempt in range(3):  # a code can only be used once: wait for the next one
                token = csrf("/login/second-factor/")
                response = client.post(
                    "/login/second-factor/", data={"code": code(device), "csrfmiddlewaretoken": token}
                )
                if response.status_code == 302 and not response.headers["location"].startswith("/login/"):
                    break
                time.sleep(31)
            else:
                sys.exit(f"second factor of {username} refused")
        if client.get("/").status_code != 200:
            sys.exit(f"{username} does not reach the dashboard after signing in")
        return client.cookies


@dataclass
class Session:
    """A signed-in user's cookies and, per page, what its signed-in response must contain: the
    page's ``<title>`` as this user first saw it (an error, sign-in or acknowledgement page answered
    with 200 has another title) and the end of the document (the whole body was read)."""

    cookies: httpx.Cookies
    markers: dict[str, bytes]
    bodies: dict[str, bytes] = field(default_factory=dict)

    def ok(self, page: str, status: int, body: bytes) -> bool:
        return status == 200 and self.markers[page] in body and body.rstrip().endswith(b"</html>")


def session_for(base: str, cookies: httpx.Cookies, pages: list[str]) -> Session:
    markers, bodies = {}, {}
    with httpx.Client(base_url=base, cookies=cookies, follow_redirects=False, timeout=30) as client:
        for page in pages:
            response = client.get(page)
            title = re.search(rb"<title>[^<]*</title>", response.content)
            if response.status_code != 200 or title is None:
                sys.exit(f"{page} does not answer a signed-in page ({response.status_code})")
            markers[page], bodies[page] = title.group(0), response.content
    return Session(cookies, markers, bodies)


# --- load --------------------------------------------------------------------------------------


@dataclass
class Result:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)

    def add(self, page: str, seconds: float, ok: bool) -> None:
        self.latencies.setdefault(page, []).append(seconds)
        if not ok:
            self.errors[page] = self.errors.get(page, 0) + 1


async def client_loop(
    base: str, session: Session, pages: list[str], offset: int, until: float, result: Result
):
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=base, cookies=session.cookies, limits=limits, timeout=30) as client:
        i = offset
        while time.monotonic() < until:
            page = pages[i % len(pages)]
            i += 1
            start = time.perf_counter()
            try:
                response = await client.get(page)
                ok = session.ok(page, response.status_code, response.content)
            except httpx.HTTPError:
                ok = False
            result.add(page, time.perf_counter() - start, ok)


async def _read_body(reader: asyncio.StreamReader, length: int | None, chunked: bool) -> bytes:
    """The response body: ``Content-Length`` bytes, the chunks of a chunked one (trailers skipped),
    or (neither) everything up to the end of the connection."""
    if chunked:
        chunks = []
        while True:
            size = int((await reader.readline()).split(b";", 1)[0].strip(), 16)
            if size == 0:
                while (await reader.readline()) not in (b"\r\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)  # the CRLF after each chunk
    if length is None:
        return await reader.read()
    return await reader.readexactly(length)


async def raw_client_loop(
    base: str, session: Session, pages: list[str], offset: int, until: float, result: Result
):
    """The same requests as ``client_loop`` over one kept-alive HTTP/1.1 connection written and read
    with asyncio streams, each request's bytes built once: the load generator shares the two cores
    with the server, and httpx costs ≈ 3 ms of CPU a request (as in ``bench/verify.py``)."""
    parts = urlsplit(base)
    cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies.jar)
    requests = {
        page: (
            f"GET {page} HTTP/1.1\r\nHost: {parts.netloc}\r\nCookie: {cookie}\r\n"
            "Accept: text/html\r\nAccept-Encoding: identity\r\n\r\n"
        ).encode()
        for page in pages
    }
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    i = offset
    while time.monotonic() < until:
        page = pages[i % len(pages)]
        i += 1
        start = time.perf_counter()
        ok = False
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
            assert reader is not None
            writer.write(requests[page])
            status = int((await reader.readline()).split()[1])
            length: int | None = None
            chunked = close = False
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"transfer-encoding" and b"chunked" in value.lower():
                    chunked = True
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
            body = await _read_body(reader, length, chunked)
            ok = session.ok(page, status, body)
            if close or (length is None and not chunked):
                writer.close()
                reader = writer = None
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
            if writer is not None:
                writer.close()
            reader = writer = None
        result.add(page, time.perf_counter() - start, ok)
    if writer is not None:
        writer.close()


async def run_load(
    base: str,
    sessions: list[Session],
    pages: list[str],
    clients: int,
    duration: float,
    raw: bool = True,
):
    result = Result()
    until = time.monotonic() + duration
    started = time.perf_counter()
    loop = raw_client_loop if raw else client_loop
    await asyncio.gather(
        *(loop(base, sessions[i % len(sessions)], pages, i, until, result) for i in range(clients))
    )
    return result, time.perf_counter() - started


def percentiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) < 2:
        v = values[0] if values else float("nan")
        return v, v, v
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def report(
    label: str, clients: int, result: Result, elapsed: float, cpu: tuple[float, float] | None, mine: float
) -> None:
    everything = [v for values in result.latencies.values() for v in values]
    p50, p95, p99 = percentiles(everything)
    errors = sum(result.errors.values())
    per_request = ""
    if cpu is not None and everything:
        app, db = (seconds * 1000 / len(everything) for seconds in cpu)
        per_request = f"{app + db:.1f} ({app:.1f} + {db:.1f})"
    print(
        f"| {label} | {clients} | {len(everything)} | {len(everything) / elapsed:.0f} | "
        f"{p50 * 1000:.0f} | {p95 * 1000:.0f} | {p99 * 1000:.0f} | {errors} | {per_request} | "
        f"{mine * 1000 / len(everything) if everything else 0:.1f} |",
        flush=True,
    )
    if len(result.latencies) > 1:
        for page, values in sorted(result.latencies.items()):
            q50, q95, q99 = percentiles(values)
            print(
                f"|   {page} | | {len(values)} | {len(values) / elapsed:.0f} | {q50 * 1000:.0f} | "
                f"{q95 * 1000:.0f} | {q99 * 1000:.0f} | {result.errors.get(page, 0)} | | |",
                flush=True,
            )


# --- CPU accounting (Linux /proc) --------------------------------------------------------------


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # fields from 3 (state) on


def server_pids(master: int) -> list[int]:
    """The server's master and its worker processes."""
    pids = [master]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) and int(fields[1]) == master:
            pids.append(int(entry.name))
    return pids


def database_backend_pids() -> list[int]:
    """PostgreSQL backends connected to this database (the server's; this script's excluded)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    ticks = os.sysconf("SC_CLK_TCK")
    usage = {}
    for pid in pids:
        if fields := _stat(pid):
            # utime + stime, and cutime + cstime: the server's master counts the workers it has
            # reaped (recycled after max_requests) there
            usage[pid] = sum(int(f) for f in fields[11:15]) / ticks
    return usage


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds between two readings of a group of processes: those alive at the end from
    their reading before (or from zero, started since), less the reading before of those that
    ended (the master's children times hold their whole lives)."""
    return sum(after[p] - before.get(p, 0.0) for p in after) - sum(
        seconds for p, seconds in before.items() if p not in after
    )


# --- server ----------------------------------------------------------------------------------


def loopback_only(url: str) -> str:
    host = urlsplit(url).hostname or ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        sys.exit(f"refusing to load {url}: only loopback addresses")
    return url.rstrip("/")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(base: str, process: subprocess.Popen, log: Path, path: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}{path}", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.5)
    process.terminate()
    sys.exit(f"the server did not become ready; see {log}")


def start_reference_server(page: bytes) -> tuple[str, subprocess.Popen]:
    """bench/reference_server.py serving ``page`` for every path, with the production settings."""
    port = _free_port()
    folder = Path(os.environ.get("KENGEN_DATA_DIR", "."))
    folder.mkdir(parents=True, exist_ok=True)
    page_file = folder / "bench-reference-page.html"
    page_file.write_bytes(page)
    log = folder / "bench-reference-server.log"
    process = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).with_name("reference_server.py")),
            str(page_file),
            f"127.0.0.1:{port}",
        ],
        env=dict(os.environ),
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    _wait_ready(base, process, log, "/")
    return base, process


def start_server() -> tuple[str, subprocess.Popen]:
    port = _free_port()
    env = dict(os.environ)
    env.setdefault("KENGEN_ALLOWED_HOSTS", "127.0.0.1,localhost")
    env.setdefault("KENGEN_SECURE_COOKIES", "0")  # plain HTTP on loopback: the explicit opt-out
    env.setdefault("KENGEN_BASE_URL", f"http://127.0.0.1:{port}")
    env.setdefault("KENGEN_DB_CONN_MAX_AGE", "600")  # stable backends, for the CPU accounting
    log = Path(env.get("KENGEN_DATA_DIR", ".")) / "bench-server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "kengen.cli", "serve", "--production", f"127.0.0.1:{port}"],
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    _wait_ready(base, process, log, "/readyz")
    return base, process


class Writer(threading.Thread):
    """A write every ``every`` seconds while the clients run, as the city's staff would make them:
    one row of ``people_person`` updated (to the same name) in its own transaction, which moves the
    dashboard data version (a trigger), so every kept body that reads people is built again on its
    next request, in every worker."""

    def __init__(self, every: float):
        super().__init__(daemon=True)
        self.every = every
        self.stop = threading.Event()
        self.writes = 0

    def run(self) -> None:
        from django.db import connection

        try:
            while not self.stop.wait(self.every):
                with connection.cursor() as cursor:
                    cursor.execute(
                        "UPDATE people_person SET family_name = family_name "
                        "WHERE id = (SELECT min(id) FROM people_person)"
                    )
                self.writes += 1
        finally:
            connection.close()


def measure(
    label: str,
    base: str,
    sessions: list[Session],
    pages: list[str],
    clients_list: list[int],
    duration: float,
    process: subprocess.Popen | None,
    raw: bool,
    write_every: float = 0.0,
) -> None:
    asyncio.run(run_load(base, sessions, pages, max(clients_list), 3.0, raw))  # warm up
    if write_every:
        label = f"{label}, a write every {write_every:g} s"
    for clients in clients_list:
        writer = Writer(write_every) if write_every else None
        if writer:
            writer.start()
        # CPU of the gunicorn processes and their PostgreSQL backends during the run: what a
        # request costs, whatever else the machine is doing
        app_before = cpu_seconds(server_pids(process.pid)) if process else {}
        db_before = cpu_seconds(database_backend_pids())
        mine = time.process_time()
        result, elapsed = asyncio.run(run_load(base, sessions, pages, clients, duration, raw))
        mine = time.process_time() - mine
        if writer:
            writer.stop.set()
            writer.join()
        app_after = cpu_seconds(server_pids(process.pid)) if process else {}
        db_after = cpu_seconds(database_backend_pids())
        cpu = (cpu_used(app_before, app_after), cpu_used(db_before, db_after)) if process else None
        report(label, clients, result, elapsed, cpu, mine)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--url", help="a running server on loopback (default: start one)")
    parser.add_argument("--start-server", action="store_true", help="start kengen serve --production")
    parser.add_argument("--clients", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per run (at most 120)")
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), nargs="+", default=["pages", "home"])
    parser.add_argument("--password", default="kengen-demo-2026", help="the demo password")
    parser.add_argument(
        "--client",
        choices=["raw", "httpx"],
        default="raw",
        help="load generator: asyncio streams (default, cheapest) or httpx (as before 2026-12-02 08:00)",
    )
    parser.add_argument(
        "--write-every",
        type=float,
        nargs="+",
        metavar="SECONDS",
        help="also run each scenario with a write to a person every SECONDS (0: none), so kept page "
        "bodies are built again as after a real change",
    )
    parser.add_argument(
        "--no-reference",
        action="store_true",
        help="skip the raw reference (bench/reference_server.py) run after Kengen's with --start-server",
    )
    args = parser.parse_args()
    duration = min(max(args.duration, 1.0), 120.0)
    if max(args.clients) > 256:
        sys.exit("at most 256 clients")
    if "KENGEN_SECRET_KEY" not in os.environ:  # the server and this script must share it
        os.environ["KENGEN_SECRET_KEY"] = secrets.token_urlsafe(50)
        if args.url:
            sys.exit("set KENGEN_SECRET_KEY to the running server's key")

    devices = prepare_users()
    process = None
    if args.url:
        base = loopback_only(args.url)
    else:
        base, process = start_server()
    try:
        pages = sorted({page for scenario in args.scenario for page in SCENARIOS[scenario]})
        sessions = [
            session_for(base, sign_in(base, username, args.password, devices[username]), pages)
            for username in USERS
        ]
        print(f"signed in {len(sessions)} users; {duration:.0f} s per run on {base}\n")
        print(f"load average before: {os.getloadavg()[0]:.1f}")
        print(
            "| scenario / page | clients | requests | req/s | p50 ms | p95 ms | p99 ms | errors "
            "| server CPU ms/request (gunicorn + PostgreSQL) | load generator CPU ms/request |"
        )
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        raw = args.client == "raw"
        for scenario in args.scenario:
            for every in args.write_every or [0.0]:
                measure(
                    scenario, base, sessions, SCENARIOS[scenario], args.clients, duration, process, raw, every
                )
        if process is not None and not args.no_reference:
            process.terminate()
            process.wait(timeout=30)
            # The raw reference: the same server settings, clients and checks, the home page's
            # bytes (as the first user saw them) served by a trivial WSGI function for every path.
            home = sessions[0].bodies["/"]
            title = re.search(rb"<title>[^<]*</title>", home).group(0)
            reference = [Session(s.cookies, dict.fromkeys(PAGES, title)) for s in sessions]
            base, process = start_reference_server(home)
            label = f"reference: one fixed page ({len(home):,} bytes), no Django"
            measure(label, base, reference, PAGES, args.clients, duration, process, raw)
        print(f"load average after: {os.getloadavg()[0]:.1f}")
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
