"""``kengen serve --production``: Kengen under gunicorn.

Why gunicorn (see docs/operations.md, "Why gunicorn"): Django's own deployment guide documents it,
Debian and RHEL (EPEL) package it, city IT staff have met it, it is pure Python (nothing to compile
on a closed network), and Kengen is a synchronous, database-bound WSGI application, where a faster
server core (granian's Rust one) buys nothing measurable.

Workers: ``KENGEN_WORKERS`` processes (default 2 × cores + 1) each with ``KENGEN_THREADS`` threads
(default 1, gthread worker), no keep-alive (``KENGEN_KEEPALIVE`` seconds, default 0: the reverse
proxy opens a connection per request, as nginx does by default) and each worker accepting only as
many connections as it has threads, so requests are served first come, first served from the one
listen queue (measured in docs/performance.md, "reqpath"); ``KENGEN_TIMEOUT`` seconds (default 60)
before a stuck worker is restarted; workers are recycled after ~20,000 requests. The access log goes through the
``kengen.access`` logger (text or JSON, like every other log line): method, path without the query
string, status, bytes, duration, client address — one-time tokens in paths are redacted.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

REDACTED = "[redacted]"
#: Seconds a server thread keeps its PostgreSQL connection (KENGEN_DB_CONN_MAX_AGE overrides).
PRODUCTION_CONN_MAX_AGE = 60
#: A path segment that looks like a secret: long, URL-safe, and with a digit or a capital letter
#: (Kengen's own URL words are lower-case letters and hyphens).
_TOKEN_SEGMENT = re.compile(r"(?<=/)(?=[A-Za-z0-9_-]{20,}(?:/|$))(?=[^/]*[0-9A-Z])[A-Za-z0-9_-]+")
#: Segments after these words are always secrets, whatever they look like.
_SECRET_AFTER = re.compile(r"(/(?:reveal|token|tokens/confirm)/)[^/]+")


def redact_path(path: str) -> str:
    """The request path as it may be logged: no query string, no one-time token."""
    path = path.split("?", 1)[0]
    path = _SECRET_AFTER.sub(lambda m: m.group(1) + REDACTED, path)
    return _TOKEN_SEGMENT.sub(REDACTED, path)


class AccessLogger(Logger):
    """gunicorn's logger with Kengen's access line instead of the Apache combined format."""

    def access(self, resp, req, wsgi_env, request_time) -> None:
        status = getattr(resp, "status", None)
        if isinstance(status, str):
            status = status.split(None, 1)[0]
        duration_ms = round(request_time.total_seconds() * 1000, 1)
        path = redact_path(wsgi_env.get("PATH_INFO", ""))
        method = wsgi_env.get("REQUEST_METHOD", "")
        client = wsgi_env.get("REMOTE_ADDR", "")  # the client, once TrustedProxyMiddleware ran
        size = getattr(resp, "sent", None)
        logging.getLogger("kengen.access").info(
            '%s "%s %s" %s %s %.1fms',
            client,
            method,
            path,
            status,
            size if size is not None else "-",
            duration_ms,
            extra={
                "client": client,
                "method": method,
                "path": path,
                "status": int(str(status)) if str(status).isdigit() else status,
                "bytes": size,
                "duration_ms": duration_ms,
            },
        )


def default_workers() -> int:
    return 2 * (os.cpu_count() or 1) + 1


def _env_int(name: str, default: int, minimum: int = 1) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < minimum:
        kind = "positive whole number" if minimum > 0 else "whole number"
        raise SystemExit(f"{name} must be a {kind}, not {value!r}")
    return int(value)


def _json_logconfig(level: str) -> dict[str, Any]:
    """gunicorn's own lines (start, workers, errors) as JSON too, like Kengen's."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "kengen.ops.logging.JsonFormatter"}},
        "handlers": {
            "error_console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {"gunicorn.error": {"level": level, "handlers": ["error_console"], "propagate": False}},
        "root": {"level": level, "handlers": []},
    }


def server_options(bind: str) -> dict[str, Any]:
    """gunicorn's settings for Kengen, from the environment."""
    workers = _env_int("KENGEN_WORKERS", default_workers())
    threads = _env_int("KENGEN_THREADS", 1)
    keepalive = _env_int("KENGEN_KEEPALIVE", 0, minimum=0)
    level = os.environ.get("KENGEN_LOG_LEVEL", "INFO").strip().upper() or "INFO"
    json_logs = os.environ.get("KENGEN_LOG_FORMAT", "").strip().lower() == "json"
    return {
        "bind": [bind],
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        # First come, first served: with no keep-alive a worker takes a connection from the shared
        # listen queue only when it has a thread free for it, so every request waits in one queue
        # (the kernel's) instead of behind whichever worker happened to accept it. With keep-alive
        # (KENGEN_KEEPALIVE > 0, for clients without a proxy) a worker keeps up to 1,000 idle
        # connections, gunicorn's default.
        "worker_connections": threads if not keepalive else 1000,
        "timeout": _env_int("KENGEN_TIMEOUT", 60),
        "graceful_timeout": 30,
        "keepalive": keepalive,
        # Recycle a worker now and then (a slow leak cannot grow for ever), but rarely: a new
        # worker pays Kengen's start-up again.
        "max_requests": 20000,
        "max_requests_jitter": 2000,
        "limit_request_line": 8190,
        "logger_class": "kengen.ops.server.AccessLogger",
        "errorlog": "-",
        "loglevel": level.lower(),
        "logconfig_dict": _json_logconfig(level) if json_logs else {},
        "proc_name": "kengen",
        # The reverse proxy's headers are handled by kengen.ops.proxy (KENGEN_TRUSTED_PROXIES);
        # gunicorn itself believes nobody.
        "forwarded_allow_ips": "",
        # systemd (or the operator) manages the process; no control socket in $HOME.
        "control_socket_disable": True,
    }


class KengenServer(BaseApplication):
    def __init__(self, options: dict[str, Any]):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from django.urls import get_resolver

        from kengen.wsgi import application

        get_resolver().url_patterns  # import every view now, not on a user's first request  # noqa: B018
        return application


def serve_production(bind: str) -> None:
    """Check the configuration, collect static files, then run gunicorn (does not return)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kengen.settings")
    os.environ.setdefault("KENGEN_DB_CONN_MAX_AGE", str(PRODUCTION_CONN_MAX_AGE))
    import django

    django.setup()
    from django.core.management import call_command

    from kengen.ops.checks import deployment_errors

    if errors := deployment_errors():
        lines = ["kengen: refusing to serve with an insecure configuration:"]
        for error in errors:
            lines.append(f"  {error.id}: {error.msg}")
            if error.hint:
                lines.append(f"      {error.hint}")
        print("\n".join(lines), file=sys.stderr)
        raise SystemExit(2)
    call_command("collectstatic", interactive=False, verbosity=0)
    KengenServer(server_options(bind)).run()
