"""Profile one signed-in page in-process: SQL queries (count, time, the slowest) and the Python
functions that take the time. Run against the benchmark database (see bench/load.py):

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/kengen_bench uv run python bench/profile_page.py / joho-kacho [--cpu-only]

Signs the user in through the test client after confirming their authenticator app through the
services (as bench/load.py does). This is not a test: it asserts nothing.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kengen.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402

from kengen.users.models import User  # noqa: E402


def main() -> None:
    cpu_only = "--cpu-only" in sys.argv  # the CPU figure and the queries, no cProfile
    if cpu_only:
        sys.argv.remove("--cpu-only")
    path = sys.argv[1] if len(sys.argv) > 1 else "/"
    username = sys.argv[2] if len(sys.argv) > 2 else "joho-kacho"
    sys.path.insert(0, os.path.dirname(__file__))
    from load import USERS, prepare_users

    if username not in USERS:
        sys.exit(f"one of {USERS}")
    devices = prepare_users()
    user = User.objects.get(username=username)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = devices[username][0].persistent_id
    session.save()
    assert client.get(path).status_code == 200  # warm
    timings = []
    for _ in range(5):
        start = time.perf_counter()
        client.get(path)
        timings.append(time.perf_counter() - start)
    print(f"{path} as {username}: best {min(timings) * 1000:.0f} ms of 5")
    # CPU of this process only (time.process_time): holds on a machine other work is using.
    cpu = []
    for _ in range(30):
        start = time.process_time()
        client.get(path)
        cpu.append(time.process_time() - start)
    cpu.sort()
    print(f"CPU per request: median {cpu[15] * 1000:.1f} ms, best {cpu[0] * 1000:.1f} ms of 30")
    with CaptureQueriesContext(connection) as queries:
        client.get(path)
    total = sum(float(q["time"]) for q in queries.captured_queries)
    print(f"{len(queries.captured_queries)} queries, {total * 1000:.0f} ms in the database")
    for q in sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:8]:
        print(f"  {float(q['time']) * 1000:6.1f} ms  {q['sql'][:300]}")
    if cpu_only:
        return
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(20):
        client.get(path)
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(r"kengen|django/(template|db/models/sql|core/handlers)", 40)
    stats.sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
