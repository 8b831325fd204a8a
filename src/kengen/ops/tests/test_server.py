"""`kengen serve --production`: gunicorn with Kengen's settings, a real request through it."""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.core.checks import Error

from kengen.ops import server
from kengen.ops.tests.conftest import clean_env


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/people/12/?q=tanaka", "/people/12/"),
        ("/credentials/reveal/abc/", "/credentials/reveal/[redacted]/"),
        (
            "/credentials/reveal/Zq3kR0x_Yb9LmN2pQ7sT1uV4wX6yZ8a-Bc/",
            "/credentials/reveal/[redacted]/",
        ),
        ("/x/Zq3kR0x_Yb9LmN2pQ7sT1uV4wX6yZ8a-Bc", "/x/[redacted]"),
        (
            "/login/passkey/credential-registration-complete/",
            "/login/passkey/credential-registration-complete/",
        ),
        ("/management-file/export.xlsx", "/management-file/export.xlsx"),
    ],
)
def test_access_log_paths_carry_no_query_string_and_no_token(path, logged):
    assert server.redact_path(path) == logged


def test_workers_are_sized_to_the_cores_and_can_be_set(monkeypatch):
    monkeypatch.delenv("KENGEN_WORKERS", raising=False)
    monkeypatch.setattr(server.os, "cpu_count", lambda: 2)
    options = server.server_options("127.0.0.1:8000")
    assert options["workers"] == 5
    assert options["worker_class"] == "gthread"
    assert options["timeout"] == 60
    assert options["forwarded_allow_ips"] == ""  # proxies are Kengen's business (kengen.ops.proxy)
    monkeypatch.setenv("KENGEN_WORKERS", "3")
    monkeypatch.setenv("KENGEN_TIMEOUT", "30")
    options = server.server_options("127.0.0.1:8000")
    assert (options["workers"], options["timeout"]) == (3, 30)


def test_requests_are_served_first_come_first_served_by_default(monkeypatch):
    for name in ("KENGEN_THREADS", "KENGEN_KEEPALIVE"):
        monkeypatch.delenv(name, raising=False)
    options = server.server_options("127.0.0.1:8000")
    # one thread, no keep-alive, and a worker takes a connection only when that thread is free
    assert (options["threads"], options["keepalive"], options["worker_connections"]) == (1, 0, 1)
    monkeypatch.setenv("KENGEN_THREADS", "4")
    assert server.server_options("127.0.0.1:8000")["worker_connections"] == 4
    monkeypatch.setenv("KENGEN_KEEPALIVE", "5")  # clients without a proxy: idle connections kept
    options = server.server_options("127.0.0.1:8000")
    assert (options["keepalive"], options["worker_connections"]) == (5, 1000)
    monkeypatch.setenv("KENGEN_KEEPALIVE", "-1")
    with pytest.raises(SystemExit, match="KENGEN_KEEPALIVE must be a whole number"):
        server.server_options("127.0.0.1:8000")


def test_json_logs_make_gunicorns_own_lines_json_too(monkeypatch):
    monkeypatch.setenv("KENGEN_LOG_FORMAT", "json")
    config = server.server_options("127.0.0.1:8000")["logconfig_dict"]
    assert config["formatters"]["json"] == {"()": "kengen.ops.logging.JsonFormatter"}
    assert config["loggers"]["gunicorn.error"]["handlers"] == ["error_console"]
    monkeypatch.setenv("KENGEN_LOG_FORMAT", "text")
    assert server.server_options("127.0.0.1:8000")["logconfig_dict"] == {}


def test_the_production_server_keeps_database_connections(monkeypatch, capsys):
    environ = {k: v for k, v in os.environ.items() if k != "KENGEN_DB_CONN_MAX_AGE"}
    monkeypatch.setattr(server.os, "environ", environ)
    monkeypatch.setattr("kengen.ops.checks.deployment_errors", lambda: [Error("stop here", id="kengen.E999")])
    with pytest.raises(SystemExit):
        server.serve_production("127.0.0.1:9")
    assert environ["KENGEN_DB_CONN_MAX_AGE"] == "60"  # read by the settings the workers load
    assert "kengen.E999: stop here" in capsys.readouterr().err


def test_other_commands_use_a_connection_per_request_on_postgresql(settings_under):
    url = "postgresql://kengen@127.0.0.1:5432/kengen"
    assert settings_under(["DATABASES"], DATABASE_URL=url)["DATABASES"]["default"]["CONN_MAX_AGE"] == 0
    values = settings_under(["DATABASES"], DATABASE_URL=url, KENGEN_DB_CONN_MAX_AGE="60")
    assert values["DATABASES"]["default"]["CONN_MAX_AGE"] == 60
    assert values["DATABASES"]["default"]["CONN_HEALTH_CHECKS"] is True


def test_a_bad_worker_count_is_refused_with_its_name(monkeypatch):
    monkeypatch.setenv("KENGEN_WORKERS", "many")
    with pytest.raises(SystemExit, match="KENGEN_WORKERS must be a positive whole number"):
        server.server_options("127.0.0.1:8000")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture
def production_server(tmp_path):
    """A real `kengen serve --production` on a private SQLite database, behind a pretend TLS proxy
    (the test itself, on loopback, trusted)."""
    port = _free_port()
    key_file = tmp_path / "secret_key"
    key_file.write_text("s" * 64)
    env = clean_env(
        tmp_path,
        KENGEN_SECRET_KEY_FILE=str(key_file),
        KENGEN_ALLOWED_HOSTS="kengen.city.example.lg.jp",
        KENGEN_BASE_URL="https://kengen.city.example.lg.jp",
        KENGEN_TRUSTED_PROXIES="127.0.0.1",
        KENGEN_WORKERS="1",
        KENGEN_THREADS="2",
        DJANGO_SUPERUSER_PASSWORD="production-test-2026",
    )
    cli = [sys.executable, "-m", "kengen.cli"]
    subprocess.run([*cli, "migrate", "-v0"], env=env, check=True, timeout=300)
    subprocess.run(
        [*cli, "createsuperuser", "--noinput", "--username", "operator", "--email", "op@example.lg.jp"],
        env=env,
        check=True,
        timeout=120,
        capture_output=True,
    )
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(
        [*cli, "serve", "--production", f"127.0.0.1:{port}"], env=env, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:
                if response.status == 200:
                    break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                log.close()
                raise AssertionError((tmp_path / "server.log").read_text()) from None
            time.sleep(0.5)
    yield base, tmp_path / "server.log", Path(env["KENGEN_DATA_DIR"])
    process.terminate()
    process.wait(timeout=30)
    log.close()


def test_sign_in_through_a_tls_proxy_against_the_production_server(production_server):
    base, log_path, data_dir = production_server
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
    proxy_headers = {
        "Host": "kengen.city.example.lg.jp",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-For": "192.0.2.44",
    }
    with opener.open(urllib.request.Request(f"{base}/login/?next=/&secret=q", headers=proxy_headers)) as page:
        html = page.read().decode()
        assert page.status == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    # the cookie is Secure (the browser is on https): hand it over as the proxy would
    csrf_cookie = next(c.value for c in jar if c.name == "csrftoken")
    form = urllib.parse.urlencode(
        {"username": "operator", "password": "production-test-2026", "csrfmiddlewaretoken": token}
    ).encode()
    request = urllib.request.Request(
        f"{base}/login/",
        data=form,
        headers={
            **proxy_headers,
            "Origin": "https://kengen.city.example.lg.jp",
            "Referer": "https://kengen.city.example.lg.jp/login/",
            "Cookie": f"csrftoken={csrf_cookie}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    try:
        opener.open(request)
        raise AssertionError("expected a redirect after signing in")
    except urllib.error.HTTPError as exc:
        assert exc.code == 302, exc.read().decode()[:500]
        # the password was accepted; the superuser is asked to set up a second factor next
        assert exc.headers["Location"].startswith("/me/security/")
        assert "Secure" in exc.headers["Set-Cookie"]

    # static files come from WhiteNoise, hashed and cacheable for ever
    css = re.search(r'href="(/static/kengen/kengen\.[0-9a-f]{12}\.css)"', html).group(1)
    with urllib.request.urlopen(f"{base}{css}") as response:
        assert response.status == 200
        assert "immutable" in response.headers["Cache-Control"]
    assert (data_dir / "static" / "staticfiles.json").exists()

    with urllib.request.urlopen(f"{base}/readyz") as response:
        assert response.status == 200

    time.sleep(0.5)  # let the worker flush its access log line
    log = log_path.read_text()
    assert '192.0.2.44 "POST /login/" 302' in log  # the client, as the proxy saw it
    assert '"GET /login/" 200' in log
    assert "secret=q" not in log
    assert "production-test-2026" not in log
