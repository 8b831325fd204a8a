"""``/healthz`` and ``/readyz`` for the load balancer and systemd.

Answered by the first middleware, before host validation, sessions and sign-in: a probe needs no
account and may use the server's address as Host. The answers say which check failed, never why
(no database names, hosts or errors); the reason goes to the log.
"""

from __future__ import annotations

import logging

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse

logger = logging.getLogger("kengen.health")

HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"


def _database() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)


def _migrations() -> bool:
    executor = MigrationExecutor(connection)
    return not executor.migration_plan(executor.loader.graph.leaf_nodes())


def _audit_chain_head() -> bool:
    from kengen.audit.models import AuditChainHead

    AuditChainHead.objects.filter(id=1).values_list("last_seq", "last_hash").first()
    return True


CHECKS = (("database", _database), ("migrations", _migrations), ("audit_chain_head", _audit_chain_head))


def readiness() -> dict[str, bool]:
    results: dict[str, bool] = {}
    for name, check in CHECKS:
        if results and not results.get("database", True):
            results[name] = False  # nothing else can pass without the database
            continue
        try:
            results[name] = bool(check())
        except Exception:  # any failure means "not ready", reported by name only
            logger.exception("readiness check %s failed", name)
            results[name] = False
    return results


def _no_store(response: JsonResponse) -> JsonResponse:
    response["Cache-Control"] = "no-store"
    return response


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info.rstrip("/")
        if path == HEALTH_PATH and request.method in {"GET", "HEAD"}:
            return _no_store(JsonResponse({"status": "ok"}))
        if path == READY_PATH and request.method in {"GET", "HEAD"}:
            checks = readiness()
            ok = all(checks.values())
            body = {"status": "ok" if ok else "unavailable", "checks": checks}
            return _no_store(JsonResponse(body, status=200 if ok else 503))
        return self.get_response(request)
