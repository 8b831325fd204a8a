"""The fixed CPU of a signed-in request: the whole middleware stack (session, user, second
factor, versions, CSRF, messages, locale, headers) in front of two views that do nothing of their
own — one answering ``ok``, one rendering an empty page on ``base.html`` (the menu, the unread
badge, the header). What any signed-in page costs before its own body. Run against the benchmark
database (see bench/load.py):

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/kengen_bench uv run python bench/profile_stack.py [--profile]

Signs a user in through the test client (as bench/profile_page.py does) and prints the median CPU
of this process (``time.process_time``) over 200 requests of each view, and with ``--profile`` the
functions that take it. This is not a test: it asserts nothing.
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

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.template import engines  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.urls import include, path  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402

from kengen.users.models import User  # noqa: E402

EMPTY_PAGE = engines["django"].from_string('{% extends "base.html" %}{% block content %}{% endblock %}')


def null_view(request):
    return HttpResponse("ok")


def empty_page(request):
    return HttpResponse(EMPTY_PAGE.render({}, request))


urlpatterns = [
    path("_bench/null/", null_view),
    path("_bench/empty/", empty_page),
    path("", include(settings.ROOT_URLCONF)),
]


def measure(client: Client, url: str, n: int = 300) -> tuple[float, float]:
    for _ in range(10):
        assert client.get(url).status_code == 200
    cpu = []
    for _ in range(n):
        start = time.process_time()
        client.get(url)
        cpu.append(time.process_time() - start)
    cpu.sort()
    return cpu[n // 4] * 1000, cpu[n // 2] * 1000


def main() -> None:
    profile = "--profile" in sys.argv
    username = "joho-kacho"
    sys.path.insert(0, os.path.dirname(__file__))
    from load import prepare_users

    devices = prepare_users()
    user = User.objects.get(username=username)
    with override_settings(ROOT_URLCONF=__name__):
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = devices[username][0].persistent_id
        session.save()
        for url in ("/_bench/null/", "/_bench/empty/"):
            queries: list[str] = []

            def count(execute, sql, *rest, queries=queries):
                queries.append(sql)
                return execute(sql, *rest)

            with connection.execute_wrapper(count):
                client.get(url)
            quartile, median = measure(client, url)
            print(
                f"{url}: CPU per request median {median:.2f} ms, lower quartile {quartile:.2f} ms ({len(queries)} queries)"
            )
        if profile:
            profiler = cProfile.Profile(time.process_time)  # CPU, not waiting
            profiler.enable()
            for _ in range(200):
                client.get("/_bench/empty/")
            profiler.disable()
            stats = pstats.Stats(profiler)
            stats.sort_stats("cumulative").print_stats(150)
            stats.sort_stats("tottime").print_stats(40)


if __name__ == "__main__":
    main()
