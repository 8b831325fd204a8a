"""CPU of one systems' verify request in-process, beside the Argon2id verify alone (issue 9):

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/kengen_bench_verify KENGEN_DATA_DIR=/tmp/kgverify \
        uv run python bench/profile_verify.py [--requests 200] [--profile]

Uses the world and the user IDs ``bench/verify.py`` prepares (and prepares them if missing). Each
request POSTs ``/api/v1/systems/COKAS/verify`` through Django's test client (the whole middleware
stack and django-ninja, no network, no gunicorn); ``time.process_time`` counts only this process's
CPU, so the figure holds on a machine other work is using. The reference, measured in the same
run: ``check_password`` on the same verifiers. Overhead = request − reference. Asserts nothing.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kengen.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--accounts", type=int, default=300)
    parser.add_argument("--profile", action="store_true", help="cProfile the requests (slower)")
    args = parser.parse_args()
    from verify import prepare

    key, passwords, _verifier = prepare(args.accounts)
    from django.contrib.auth.hashers import check_password
    from django.test import Client

    from kengen.credentials.models import Credential

    verifiers = dict(
        Credential.objects.filter(account__user_id__in=list(passwords)).values_list(
            "account__user_id", "verifier"
        )
    )
    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {key}")
    rng = random.Random(1)
    ids = list(passwords)

    def one_request() -> None:
        user_id = rng.choice(ids)
        response = client.post(
            "/api/v1/systems/COKAS/verify",
            data=json.dumps({"user_id": user_id, "password": passwords[user_id]}),
            content_type="application/json",
        )
        assert response.status_code == 200 and response.json()["result"] == "valid", response.content

    for _ in range(10):  # warm
        one_request()

    def measure(fn, n: int) -> list[float]:
        out = []
        for _ in range(n):
            start = time.process_time()
            fn()
            out.append((time.process_time() - start) * 1000)
        return out

    def raw() -> None:
        user_id = rng.choice(ids)
        assert check_password(passwords[user_id], verifiers[user_id])

    ref1 = measure(raw, args.requests // 2)
    req = measure(one_request, args.requests)
    ref2 = measure(raw, args.requests // 2)
    ref = statistics.median(ref1 + ref2)
    med = statistics.median(req)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"CPU per verify request (median of {args.requests}): {med:.1f} ms")
    print(f"CPU per raw Argon2id verify, same run (median): {ref:.1f} ms")
    print(f"overhead: {med - ref:.1f} ms; ceiling on CPU-bound cores: {100 * ref / med:.0f} % of raw")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(50):
            one_request()
        profiler.disable()
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(r"kengen|django|ninja", 45)
        stats.sort_stats("tottime").print_stats(20)


if __name__ == "__main__":
    main()
