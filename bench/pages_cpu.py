"""In-process CPU of the six signed-in pages of ``bench/load.py`` for each of its six users, and
their HTML for comparing before/after a change. Run against the benchmark database:

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/kengen_bench uv run python bench/pages_cpu.py [-n 15]
    DATABASE_URL=… uv run python bench/pages_cpu.py --html /tmp/before   # HTML of many variants, no timing

``--cold`` forgets the kept page bodies (``core.kept``) before each request: what a request
costs after a write. The CPU is this process's (``time.process_time``: the test client, the whole middleware stack and
templates; PostgreSQL's own CPU not included), the median of ``-n`` requests per page and user
after one warm-up request. ``--html DIR`` writes each page as each user over several queries,
dates and both languages (each asked twice: the second is written, and any difference from the
first is printed), with CSRF tokens blanked, so two checkouts can be diffed
(``diff -r``). This is not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
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

#: Beyond the bench's pages, for ``--html``: queries, dates, pages of lists, the other language.
VARIANTS = [
    "/people/?q=山",
    "/people/?q=やま&employment=regular",
    "/people/?on=2025-04-01",
    "/people/?page=2",
    "/people/?page=999",
    "/people/?unit=1",
    "/people/?on=bad",
    "/applications/?status=submitted",
    "/applications/?status=draft",
    "/applications/?page=2",
    "/inbox/?page=2",
    "/systems/?on=2025-04-01",
    "/systems/?on=2020-01-01",
    "/organizations/?under=all",
    "/organizations/?on=2025-04-01",
    "/organizations/?on=2020-04-01&under=all",
    "/organizations/?on=1900-01-01",
    "/systems/?on=1900-01-01",
    "/people/?q=zzzz",
    "/applications/?status=rejected",
]

_CSRF = re.compile(r'(name="csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+(")')


def clients(usernames: list[str]) -> dict[str, Client]:
    sys.path.insert(0, os.path.dirname(__file__))
    from load import prepare_users

    devices = prepare_users()
    out = {}
    for username in usernames:
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(User.objects.get(username=username))
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = devices[username][0].persistent_id  # type: ignore[attr-defined]
        session.save()
        out[username] = client
    return out


def _forget_kept_bodies() -> None:
    """What a request costs after a write (a miss): no kept page body (``core.kept``)."""
    try:
        from kengen.core import kept
    except ImportError:  # a checkout from before page bodies were kept
        return
    kept._bodies.clear()


def main() -> None:
    sys.path.insert(0, os.path.dirname(__file__))
    from load import PAGES, USERS

    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=15)
    parser.add_argument("--html", help="write the HTML of every page and variant here, no timing")
    parser.add_argument("--pages", nargs="*", default=PAGES)
    parser.add_argument("--cold", action="store_true", help="forget the kept page bodies before each request")
    parser.add_argument("--users", nargs="*", default=USERS)
    args = parser.parse_args()
    by_user = clients(args.users)
    if args.html:
        os.makedirs(args.html, exist_ok=True)
        for username, client in by_user.items():
            for path in [*PAGES, *VARIANTS]:
                for lang in ("ja", "en"):
                    first = client.get(path, HTTP_ACCEPT_LANGUAGE=lang)  # twice: kept bodies too
                    response = client.get(path, HTTP_ACCEPT_LANGUAGE=lang)
                    body = _CSRF.sub(r"\1-\2", response.content.decode())
                    if _CSRF.sub(r"\1-\2", first.content.decode()) != body:
                        print(f"{path} as {username} ({lang}): the second answer differs from the first")
                    name = re.sub(r"[^A-Za-z0-9=&.-]+", "_", path).strip("_") or "home"
                    with open(os.path.join(args.html, f"{username}.{lang}.{name}.html"), "w") as f:
                        f.write(f"{response.status_code}\n{body}")
            for path in ("/people/", "/people/?q=山", "/people/?page=2"):  # htmx: the results alone
                first = client.get(path, HTTP_HX_REQUEST="true")
                response = client.get(path, HTTP_HX_REQUEST="true")
                name = re.sub(r"[^A-Za-z0-9=&.-]+", "_", path).strip("_")
                with open(os.path.join(args.html, f"{username}.hx.{name}.html"), "w") as f:
                    f.write(f"{response.status_code}\n{response.content.decode()}")
                if first.content != response.content:
                    print(f"{path} (htmx) as {username}: the second answer differs from the first")
        print(f"written to {args.html}")
        return
    totals = []
    for path in args.pages:
        row = []
        for username in args.users:
            client = by_user[username]
            assert client.get(path).status_code == 200
            cpu = []
            for _ in range(args.n):
                if args.cold:
                    _forget_kept_bodies()
                start = time.process_time()
                client.get(path)
                cpu.append(time.process_time() - start)
            if args.cold:
                _forget_kept_bodies()
            with CaptureQueriesContext(connection) as queries:
                client.get(path)
            row.append((statistics.median(cpu) * 1000, len(queries.captured_queries)))
        mean = statistics.mean(c for c, _q in row)
        totals.append(mean)
        cells = "  ".join(f"{c:5.1f}({q})" for c, q in row)
        print(f"{path:16} mean {mean:5.1f} ms   {cells}", flush=True)
    print(f"{'mix':16} mean {statistics.mean(totals):5.1f} ms   users: {' '.join(args.users)}")


if __name__ == "__main__":
    main()
