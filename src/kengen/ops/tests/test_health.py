"""/healthz and /readyz for load balancers: unauthenticated, any Host, no secrets."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from kengen.ops import health

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_sign_in_and_for_any_host(client):
    response = client.get("/healthz", HTTP_HOST="10.1.2.3:8000")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


def test_readyz_reports_each_check(client):
    response = client.get("/readyz/", HTTP_HOST="10.1.2.3")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": True, "migrations": True, "audit_chain_head": True},
    }


def test_readyz_is_unavailable_with_unapplied_migrations(client, monkeypatch):
    monkeypatch.setattr(
        health, "CHECKS", tuple((n, (lambda: False) if n == "migrations" else f) for n, f in health.CHECKS)
    )
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": True, "migrations": False, "audit_chain_head": True}


def test_readyz_says_which_check_failed_but_not_why(client, monkeypatch, caplog):
    def broken():
        raise RuntimeError("connection to db.secret.example:5432 failed for user kengen")

    monkeypatch.setattr(health, "CHECKS", (("database", broken), *health.CHECKS[1:]))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": False, "migrations": False, "audit_chain_head": False},
    }
    assert "secret" not in response.content.decode()
    assert "readiness check database failed" in caplog.text  # the reason is in the server's log


def test_the_migration_check_sees_a_missing_migration():
    assert health._migrations() is True
    MigrationRecorder(connection).migration_qs.filter(app="audit").order_by("-id")[:1].get().delete()
    assert health._migrations() is False


def test_other_methods_and_paths_go_to_the_application(client):
    assert client.post("/healthz").status_code != 200
    assert client.get("/healthzz").status_code == 404
    assert json.loads(client.get("/healthz/").content) == {"status": "ok"}
