"""Deployment checks: ``kengen check --deploy`` and ``kengen serve --production``.

Django's own ``--deploy`` checks are warnings; Kengen's are errors for the settings without which
a production Kengen is unsafe, so the command exits non-zero and the production server refuses to
start. Each message names the environment variable to set.
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def kengen_deploy_checks(app_configs=None, **kwargs) -> list:
    errors: list = []
    if getattr(settings, "KENGEN_SECRET_KEY_SOURCE", "generated") == "generated":
        errors.append(
            Error(
                "KENGEN_SECRET_KEY (or KENGEN_SECRET_KEY_FILE) is not set: the secret key was generated "
                "into the data folder.",
                hint="Set KENGEN_SECRET_KEY_FILE=/etc/kengen/secret_key (a file only the kengen user "
                "reads) or KENGEN_SECRET_KEY in the environment file.",
                id="kengen.E001",
            )
        )
    if settings.DEBUG:
        errors.append(
            Error(
                "KENGEN_DEBUG is on: debug pages show settings and code to anyone.",
                hint="Remove KENGEN_DEBUG or set KENGEN_DEBUG=0.",
                id="kengen.E002",
            )
        )
    hosts = list(settings.ALLOWED_HOSTS)
    if not getattr(settings, "KENGEN_ALLOWED_HOSTS_SET", True) or not hosts:
        errors.append(
            Error(
                "KENGEN_ALLOWED_HOSTS is not set: only the loopback names are accepted.",
                hint="Set KENGEN_ALLOWED_HOSTS to the host name(s) the reverse proxy forwards, "
                "e.g. KENGEN_ALLOWED_HOSTS=kengen.city.example.lg.jp",
                id="kengen.E003",
            )
        )
    elif "*" in hosts:
        errors.append(
            Error(
                "KENGEN_ALLOWED_HOSTS contains '*': any Host header is accepted.",
                hint="List the real host name(s) instead.",
                id="kengen.E003",
            )
        )
    if not (settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE):
        if getattr(settings, "KENGEN_SECURE_COOKIES_OPT_OUT", False):
            errors.append(
                Warning(
                    "KENGEN_SECURE_COOKIES=0: session and CSRF cookies are sent over plain HTTP.",
                    hint="Only acceptable on a closed network without TLS; prefer HTTPS and "
                    "KENGEN_SECURE_COOKIES=1.",
                    id="kengen.W004",
                )
            )
        else:
            errors.append(
                Error(
                    "KENGEN_SECURE_COOKIES is not set and KENGEN_BASE_URL is not https://: session "
                    "cookies would be sent over plain HTTP.",
                    hint="Set KENGEN_BASE_URL=https://… (cookies become secure), or KENGEN_SECURE_COOKIES=1; "
                    "KENGEN_SECURE_COOKIES=0 is the explicit opt-out for a network without TLS.",
                    id="kengen.E004",
                )
            )
    if not getattr(settings, "KENGEN_BASE_URL_SET", True):
        errors.append(
            Warning(
                "KENGEN_BASE_URL is not set: links in emails point to http://127.0.0.1:8000 and "
                "browsers behind the reverse proxy fail the CSRF origin check.",
                hint="Set KENGEN_BASE_URL to the address users type, e.g. https://kengen.city.example.lg.jp",
                id="kengen.W005",
            )
        )
    return errors


def deployment_errors() -> list:
    """Kengen's deployment checks that are errors (the production server refuses to start)."""
    return [e for e in kengen_deploy_checks() if e.is_serious()]
