"""Response headers and files (security review, issue 10): HSTS, a Content-Security-Policy the
pages actually keep, no-store on API responses and downloads, Swagger UI without a CDN, and an
SQLite file only its owner can read."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import textwrap

import pytest
from django.urls import reverse

from kengen.testing import login
from kengen.users.services import api_token_create

pytestmark = pytest.mark.django_db


def _pages(world):
    return [
        reverse("dashboard:home"),
        reverse("people:list"),
        reverse("people:detail", args=[world.people["jinji_clerk"].pk]),
        reverse("organizations:tree"),
        reverse("systems:list"),
        reverse("roles:list"),
        reverse("grants:file"),
        reverse("audit:list"),
        reverse("users:security"),
        reverse("applications:list"),
    ]


def test_pages_carry_a_strict_csp_and_no_inline_script_or_style(world, client):
    world.core()
    login(client, world.users["joho_head"])
    for url in _pages(world):
        response = client.get(url)
        assert response.status_code == 200, url
        csp = response["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        html = response.content.decode()
        assert not re.search(r"\sstyle=", html), url
        assert "<style" not in html, url
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, (url, tag)
        assert not re.search(r"\son[a-z]+=", html), url  # no inline event handlers


def test_hsts_is_sent_on_https_only(world, client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    page = reverse("users:login")
    assert "max-age=31536000" in client.get(page, secure=True)["Strict-Transport-Security"]
    assert not client.get(page).has_header("Strict-Transport-Security")


def test_the_production_default_sends_hsts():
    out = _run_settings("print(settings.SECURE_HSTS_SECONDS)", KENGEN_DEBUG="0")
    assert int(out) >= 31536000


def test_api_responses_and_downloads_are_never_cached(world, client):
    world.core()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=world.users['joho_head'], name='t').raw}"}
    assert "no-store" in client.get("/api/v1/people", **auth)["Cache-Control"]
    assert "no-store" in client.get("/api/v1/nowhere", **auth)["Cache-Control"]
    login(client, world.users["joho_head"])
    export = client.get(reverse("grants:file"), {"format": "csv"})
    assert export.status_code == 200 and "attachment" in export["Content-Disposition"]
    assert "no-store" in export["Cache-Control"]
    assert "no-store" in client.get(reverse("applications:blank_pdf"))["Cache-Control"]


def test_swagger_ui_is_served_from_local_static_files(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "https://" not in html
    assert client.get("/static/ninja/swagger-ui-bundle.js").status_code == 200


def test_swagger_ui_can_be_turned_off():
    out = _run_settings(
        "from django.test import Client; print(Client().get('/api/v1/docs', HTTP_HOST='localhost').status_code)",
        KENGEN_API_DOCS="0",
    )
    assert out.strip().splitlines()[-1] == "404"


def test_the_sqlite_file_is_created_readable_by_its_owner_only(tmp_path):
    _run_settings("print(settings.DATABASES['default']['NAME'])", KENGEN_DATA_DIR=str(tmp_path))
    mode = stat.S_IMODE((tmp_path / "kengen.sqlite3").stat().st_mode)
    assert mode == 0o600


def test_an_existing_world_readable_sqlite_file_is_tightened(tmp_path):
    db = tmp_path / "kengen.sqlite3"
    db.write_bytes(b"")
    db.chmod(0o644)
    _run_settings("pass", KENGEN_DATA_DIR=str(tmp_path))
    assert stat.S_IMODE(db.stat().st_mode) == 0o600


def _run_settings(code: str, **env) -> str:
    """Run ``code`` in a fresh interpreter with Kengen's settings loaded under ``env``."""
    environ = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environ.setdefault("KENGEN_SECRET_KEY", "test-only-secret-key-0123456789")
    environ.update(env)
    script = textwrap.dedent(
        f"""
        import os
        os.environ["DJANGO_SETTINGS_MODULE"] = "kengen.settings"
        import django
        django.setup()
        from django.conf import settings
        {code}
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=environ, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
