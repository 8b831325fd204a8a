"""Django settings for Kengen.

Everything deployment-specific comes from the environment:

Every variable read here (and anywhere else in the code) is listed, with its default, in the table
"Configuration variables" of docs/operations.md; ``kengen.ops.tests.test_config_table`` fails when
one is missing. ``kengen check --deploy`` (and ``kengen serve --production``) refuse an insecure
production configuration: see ``kengen.ops.checks``.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


def _url_origin(url: str) -> str | None:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("KENGEN_DATA_DIR", Path.cwd() / "var"))


def _env_bool(name: str, default: bool) -> bool:
    """``1``/``true``/``yes``/``on`` or ``0``/``false``/``no``/``off``; unset or empty is ``default``."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1 or 0, not {value!r}")


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def _env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = _env_bool("KENGEN_DEBUG", False)

#: Where the secret key came from: "environment", "file" (KENGEN_SECRET_KEY_FILE) or "generated"
#: (written once into the data folder — fine for the demo, refused by the production checks).
KENGEN_SECRET_KEY_SOURCE = "generated"  # noqa: S105 - where it came from


def _secret_key() -> str:
    """The key from the environment or a file named there, else one generated once and kept in the
    data folder."""
    global KENGEN_SECRET_KEY_SOURCE
    if key := os.environ.get("KENGEN_SECRET_KEY", "").strip():
        KENGEN_SECRET_KEY_SOURCE = "environment"  # noqa: S105 - where it came from
        return key
    if key_file := os.environ.get("KENGEN_SECRET_KEY_FILE", "").strip():
        try:
            key = Path(key_file).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(
                f"KENGEN_SECRET_KEY_FILE: cannot read {key_file}: {exc.strerror}"
            ) from None
        if not key:
            raise ImproperlyConfigured(f"KENGEN_SECRET_KEY_FILE: {key_file} is empty")
        KENGEN_SECRET_KEY_SOURCE = "file"  # noqa: S105 - where it came from
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        import secrets

        DATA_DIR.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first
            return path.read_text().strip()
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()

# The audit chain's HMAC key, kept apart from the secret key and from the data directory (see
# docs/operations.md, "Audit key"). Unset: the legacy key derived from the secret key (key id 0).
KENGEN_AUDIT_KEY = os.environ.get("KENGEN_AUDIT_KEY", "")
KENGEN_AUDIT_KEY_ID = int(os.environ.get("KENGEN_AUDIT_KEY_ID", "1") or "1")
# A file of "ID HEXKEY" lines (mode 0600, outside KENGEN_DATA_DIR) written by `kengen audit
# rotate-key`: every key that signed events, the highest ID signing new ones.
KENGEN_AUDIT_KEYRING = os.environ.get("KENGEN_AUDIT_KEYRING", "")

ALLOWED_HOSTS = _env_list("KENGEN_ALLOWED_HOSTS", "127.0.0.1,localhost")
#: False while the loopback default above is in use: the production checks want the real names.
KENGEN_ALLOWED_HOSTS_SET = bool(os.environ.get("KENGEN_ALLOWED_HOSTS", "").strip())

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Second factor for Kengen's own sign-in: django-otp (TOTP) and django-otp-webauthn (passkeys).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp_webauthn",
    "kengen.core",
    "kengen.audit",
    "kengen.users",
    "kengen.organizations",
    "kengen.contractors",
    "kengen.people",
    "kengen.systems",
    "kengen.roles",
    "kengen.eligibility",
    "kengen.grants",
    "kengen.notifications",
    "kengen.workflow",
    "kengen.applications",
    "kengen.terminals",
    "kengen.outsourcing",
    "kengen.reviews",
    "kengen.personnel",
    "kengen.hrwave",
    "kengen.jobs",
    "kengen.credentials",
    "kengen.viewing",
    "kengen.acknowledgements",
    "kengen.dashboard",
    "kengen.profiles",
    "kengen.ops",
]

MIDDLEWARE = [
    # /healthz and /readyz for the load balancer: answered first, before host validation and
    # sign-in, and never with a secret.
    "kengen.ops.health.HealthCheckMiddleware",
    # The client address and scheme as seen by a trusted reverse proxy (KENGEN_TRUSTED_PROXIES).
    "kengen.ops.proxy.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Serves the vendored CSS, fonts and htmx in production too (no CDN, no separate web server
    # needed); run `kengen collectstatic` at deploy time for compressed, cache-busted files.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Systems' sign-in checks (POST /api/v1/systems/{code}/verify, …/password, API key only):
    # answered here with only the language, host and frame middleware, not the browser's stack.
    "kengen.credentials.middleware.SystemSignInMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): second factor passed (django-otp's, the device read in one SELECT)
    "kengen.users.otp.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Kengen's own sign-in, in this order: the session is still valid (idle/absolute timeouts,
    # account active, appointment in force); the second factor is passed or enrolled; the A9
    # duties are acknowledged. See docs/security.md, "Kengen's own sign-in".
    "kengen.users.middleware.SessionSecurityMiddleware",
    "kengen.users.middleware.SecondFactorMiddleware",
    "kengen.acknowledgements.middleware.AcknowledgementMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "kengen.core.middleware.DomainExceptionMiddleware",
]

ROOT_URLCONF = "kengen.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kengen.roles.context_processors.roles",
            ],
        },
    },
]

WSGI_APPLICATION = "kengen.wsgi.application"

_default_sqlite = f"sqlite:///{DATA_DIR / 'kengen.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", _default_sqlite))}
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    # `kengen serve --production` keeps each server thread's PostgreSQL connection for a while
    # (KENGEN_DB_CONN_MAX_AGE defaults to 60 there) instead of opening one per request, which
    # costs more than a typical page's queries; checked before reuse. Elsewhere (commands, tests,
    # the development server) a connection ends with its request.
    DATABASES["default"]["CONN_MAX_AGE"] = _env_int("KENGEN_DB_CONN_MAX_AGE", 0)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while one writer commits; the busy timeout makes writers queue
    # instead of failing with "database is locked"; IMMEDIATE takes the write lock at BEGIN
    # so that select_for_update-style services serialise instead of deadlocking.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 10,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "users.User"
LOGIN_URL = "users:login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "users:login"

# Argon2id with parameters pinned here, never the library's or Django's moving defaults.
# The floor is OWASP's Password Storage Cheat Sheet, second recommended set: m=19 MiB, t=2, p=1;
# KENGEN_ARGON2_MEMORY_KIB / _TIME_COST / _PARALLELISM raise it (never lower: refused at start-up).
# Verifiers made under other parameters still verify and are rehashed at the next successful
# verification (docs/security.md, "How passwords are stored").
KENGEN_ARGON2_MINIMUM = {"memory_cost": 19456, "time_cost": 2, "parallelism": 1}
_ARGON2_VARIABLES = {
    "memory_cost": ("KENGEN_ARGON2_MEMORY_KIB", "KiB of memory"),
    "time_cost": ("KENGEN_ARGON2_TIME_COST", "passes"),
    "parallelism": ("KENGEN_ARGON2_PARALLELISM", "lanes"),
}
#: Above these the parameters are surely a typo (4 GiB per hash, 100 passes, 64 lanes).
_ARGON2_MAXIMUM = {"memory_cost": 4 * 1024 * 1024, "time_cost": 100, "parallelism": 64}


def argon2_parameters(environ: dict[str, str] | os._Environ[str]) -> dict[str, int]:
    """The Argon2id parameters from ``environ``; ImproperlyConfigured, naming the variable,
    for a value below the OWASP minimum (or absurdly high, or not a whole number)."""
    given = {  # spelt out so that the configuration-table test sees each variable
        "memory_cost": environ.get("KENGEN_ARGON2_MEMORY_KIB", ""),
        "time_cost": environ.get("KENGEN_ARGON2_TIME_COST", ""),
        "parallelism": environ.get("KENGEN_ARGON2_PARALLELISM", ""),
    }
    params = {}
    for name, (variable, unit) in _ARGON2_VARIABLES.items():
        raw = given[name].strip()
        floor = KENGEN_ARGON2_MINIMUM[name]
        if not raw:
            params[name] = floor
            continue
        if not raw.isdigit():
            raise ImproperlyConfigured(f"{variable} must be a whole number of {unit}, not {raw!r}")
        value = int(raw)
        if value < floor:
            raise ImproperlyConfigured(
                f"{variable}={value} is below the OWASP minimum for Argon2id ({floor} {unit}; "
                "m=19456 KiB, t=2, p=1): Kengen only raises these parameters"
            )
        if value > _ARGON2_MAXIMUM[name]:
            raise ImproperlyConfigured(f"{variable}={value} is more than {_ARGON2_MAXIMUM[name]} {unit}")
        params[name] = value
    return params


KENGEN_ARGON2 = argon2_parameters(os.environ)
PASSWORD_HASHERS = ["kengen.users.hashers.PinnedArgon2idHasher"]
# Kengen's own sign-in passwords: the A8.6 strength rules of system passwords (minimum length,
# Django's and the Japanese blocklist, repetitions, the user's names and the city's).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "kengen.credentials.validators.SignInPasswordValidator", "OPTIONS": {"min_length": 12}},
]

AUTHENTICATION_BACKENDS = ["kengen.users.backends.KengenBackend"]


# Sessions end after this long without a request (idle) and this long after sign-in (absolute),
# whatever the activity; both are checked on every request by SessionSecurityMiddleware.
KENGEN_SESSION_IDLE_TIMEOUT = _env_int("KENGEN_SESSION_IDLE_MINUTES", 30) * 60
KENGEN_SESSION_ABSOLUTE_TIMEOUT = _env_int("KENGEN_SESSION_ABSOLUTE_HOURS", 10) * 60 * 60

# Failed sign-ins: after `threshold` failures (forgotten after `forget_after` seconds without one),
# each further failure refuses that name / address for base_delay · 2^(n − threshold) seconds, at
# most `max_delay`. Never a permanent lockout. A success resets the name and the address.
KENGEN_SIGN_IN_THROTTLE = {
    "username": {
        "threshold": _env_int("KENGEN_THROTTLE_USERNAME_THRESHOLD", 5),
        "base_delay": 30,
        "max_delay": 15 * 60,
    },
    # City halls sign in from behind a few NAT addresses: the per-address limit is much higher.
    "ip": {
        "threshold": _env_int("KENGEN_THROTTLE_IP_THRESHOLD", 30),
        "base_delay": 30,
        "max_delay": 15 * 60,
    },
    "api_ip": {
        "threshold": _env_int("KENGEN_THROTTLE_API_THRESHOLD", 20),
        "base_delay": 30,
        "max_delay": 15 * 60,
    },
    "forget_after": 24 * 60 * 60,
}

# Second factor (django-otp). Everyone holding a role in Kengen must use one (see
# kengen.users.selectors.mfa_required); anyone who enrolled one is asked for it.
OTP_TOTP_ISSUER = "Kengen"
OTP_TOTP_THROTTLE_FACTOR = 1  # 1, 2, 4, 8 … seconds between attempts after failures
OTP_RECOVERY_THROTTLE_FACTOR = 1
KENGEN_RECOVERY_CODE_COUNT = 10
# Passkeys (django-otp-webauthn) as a second factor only, never instead of the password.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_RP_NAME = "Kengen"
OTP_WEBAUTHN_EXCEPTION_LOGGER_NAME = "kengen.webauthn"

# A9: how often each user acknowledges the personal-information duties again (days).
KENGEN_ACKNOWLEDGEMENT_INTERVAL_DAYS = _env_int("KENGEN_ACKNOWLEDGEMENT_INTERVAL_DAYS", 365)

# Django's database sessions, read with one plain SELECT (kengen/users/sessions.py).
SESSION_ENGINE = "kengen.users.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = KENGEN_SESSION_ABSOLUTE_TIMEOUT
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
# Absolute URL of this Kengen, for links in emails, the CSRF origin and the passkey relying party.
KENGEN_BASE_URL = os.environ.get("KENGEN_BASE_URL", "").strip().rstrip("/") or "http://127.0.0.1:8000"
KENGEN_BASE_URL_SET = bool(os.environ.get("KENGEN_BASE_URL", "").strip())
# Cookies only over HTTPS: on by default when the base URL is https://. Setting
# KENGEN_SECURE_COOKIES=0 explicitly is the opt-out the production checks accept (a closed network
# without TLS); leaving it unset with an http:// base URL is refused in production.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = _env_bool(
    "KENGEN_SECURE_COOKIES", KENGEN_BASE_URL.startswith("https://")
)
KENGEN_SECURE_COOKIES_OPT_OUT = os.environ.get("KENGEN_SECURE_COOKIES", "").strip().lower() in {
    "0",
    "false",
    "no",
    "off",
}
# Behind a TLS-terminating reverse proxy the browser's Origin is https://<host>: trust the base URL's
# origin for CSRF (Django compares it with the scheme it sees, http:// from the proxy, otherwise).
CSRF_TRUSTED_ORIGINS = [_origin] if (_origin := _url_origin(KENGEN_BASE_URL)) else []
# Addresses or networks (CIDR) of the reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are
# believed; everyone else's are dropped (kengen.ops.proxy.TrustedProxyMiddleware). Django's global
# SECURE_PROXY_SSL_HEADER is deliberately left unset: it would believe the header from anyone.
KENGEN_TRUSTED_PROXIES = _env_list("KENGEN_TRUSTED_PROXIES")
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# After `kengen collectstatic`: hashed (cache-busting), gzip/brotli-compressed files served by
# WhiteNoise with far-future caching; before it (development, tests): the plain files.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "kengen.ops.staticfiles.KengenStaticFilesStorage"},
}
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise expects it; empty until collectstatic
WHITENOISE_USE_FINDERS = True  # also serve straight from the package when collectstatic was not run
# kengen/static is not inside an app: CSS, htmx and the vendored fonts/tokens live there.
STATICFILES_DIRS = [BASE_DIR / "static"]

EMAIL_BACKEND = os.environ.get("KENGEN_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("KENGEN_FROM_EMAIL", "kengen@localhost")
EMAIL_HOST = os.environ.get("KENGEN_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("KENGEN_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("KENGEN_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("KENGEN_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("KENGEN_EMAIL_TLS", "0") == "1"
EMAIL_TIMEOUT = 10


def _webauthn_relying_party(base_url: str) -> tuple[str, list[str]]:
    """The passkey relying-party ID (a domain) and allowed origins for this Kengen.

    Browsers accept passkeys only on https:// origins or on http://localhost; an IP address is
    never a valid relying-party ID, so a bare-IP development URL falls back to localhost.
    """
    import ipaddress
    from urllib.parse import urlsplit

    parts = urlsplit(base_url)
    host = parts.hostname or "localhost"
    try:
        ipaddress.ip_address(host)
        host = "localhost"
    except ValueError:
        pass
    port = f":{parts.port}" if parts.port else ""
    scheme = "https" if parts.scheme == "https" or host != "localhost" else "http"
    return host, [f"{scheme}://{host}{port}"]


_rp_id, _rp_origins = _webauthn_relying_party(KENGEN_BASE_URL)
OTP_WEBAUTHN_RP_ID = os.environ.get("KENGEN_WEBAUTHN_RP_ID", _rp_id)
OTP_WEBAUTHN_ALLOWED_ORIGINS = [
    o for o in os.environ.get("KENGEN_WEBAUTHN_ORIGINS", ",".join(_rp_origins)).split(",") if o
]

# Logs go to stderr (journald under systemd): plain text, or one JSON object per line with
# KENGEN_LOG_FORMAT=json (kengen.ops.logging.JsonFormatter) for a log collector.
KENGEN_LOG_FORMAT = os.environ.get("KENGEN_LOG_FORMAT", "text").strip().lower() or "text"
if KENGEN_LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured(f"KENGEN_LOG_FORMAT must be text or json, not {KENGEN_LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {"()": "kengen.ops.logging.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": KENGEN_LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": os.environ.get("KENGEN_LOG_LEVEL", "INFO")},
    "loggers": {
        # Request bodies may carry passwords: never log them.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        # One line per request from `kengen serve --production`: path without query string,
        # one-time tokens in paths redacted (kengen.ops.server.AccessLogger).
        "kengen.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# Where `kengen backup` writes when no path is given (docs/operations.md, "Backup and restore").
KENGEN_BACKUP_DIR = Path(os.environ.get("KENGEN_BACKUP_DIR", "").strip() or DATA_DIR / "backups")

# The municipality profile whose tables are loaded by `kengen demo` / `kengen profile_load`.
KENGEN_PROFILE = os.environ.get("KENGEN_PROFILE", "kitami")
KENGEN_MUNICIPALITY_NAME = _("Kitami City")


# === Security review fixes (issue 10, branch "sec") =============================================
# Kept in one block so that it merges cleanly with the deployment settings above.

# Invalid bearer credentials are counted per credential (its first 12 characters, as a digest) and
# per source address; a valid one is accepted from any address (kengen.users.services.bearer_sign_in).
KENGEN_SIGN_IN_THROTTLE.update(
    {
        "api_token": {
            "threshold": _env_int("KENGEN_THROTTLE_API_TOKEN_THRESHOLD", 5),
            "base_delay": 30,
            "max_delay": 15 * 60,
        },
        "system_key": {
            "threshold": _env_int("KENGEN_THROTTLE_SYSTEM_KEY_THRESHOLD", 5),
            "base_delay": 30,
            "max_delay": 15 * 60,
        },
        "syskey_ip": {
            "threshold": _env_int("KENGEN_THROTTLE_SYSTEM_KEY_IP_THRESHOLD", 20),
            "base_delay": 30,
            "max_delay": 15 * 60,
        },
    }
)

# Response headers. HSTS: sent by SecurityMiddleware on HTTPS requests only (behind a TLS proxy,
# once a proxy listed in KENGEN_TRUSTED_PROXIES says so); KENGEN_HSTS_SECONDS=0 turns it off.
SECURE_HSTS_SECONDS = _env_int("KENGEN_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 60 * 60)
SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("KENGEN_HSTS_INCLUDE_SUBDOMAINS", "0") == "1"
# Content-Security-Policy (django-csp): only this origin's scripts, styles, fonts and images; no
# inline script or style anywhere (htmx is configured not to inject its indicator styles; JSON
# data blocks such as the passkey configuration are not executed and need no exception).
# Swagger UI at /api/v1/docs is served from django-ninja's own pinned static files ("ninja" below),
# never from a CDN; KENGEN_API_DOCS=0 turns the page off.
INSTALLED_APPS += ["ninja", "csp"]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "csp.middleware.CSPMiddleware"
)
# No browser or proxy cache keeps API responses or downloads (exports, PDFs).
MIDDLEWARE.insert(
    MIDDLEWARE.index("csp.middleware.CSPMiddleware") + 1, "kengen.core.middleware.NoStoreMiddleware"
)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
KENGEN_API_DOCS = os.environ.get("KENGEN_API_DOCS", "1") == "1"

import contextlib  # noqa: E402

# The embedded SQLite database holds personal data and password verifiers: created readable by
# this account only (0600; SQLite gives its -wal/-shm files the same mode), and tightened if an
# older installation left it readable by others.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    _db_path = Path(DATABASES["default"]["NAME"])
    if str(_db_path) not in ("", ":memory:") and not str(_db_path).startswith("file:"):
        _db_path.parent.mkdir(parents=True, exist_ok=True)
        for _path in (_db_path, Path(f"{_db_path}-wal"), Path(f"{_db_path}-shm")):
            if _path == _db_path and not _path.exists():
                with contextlib.suppress(FileExistsError):  # another process created it first
                    os.close(os.open(_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            try:
                if _path.exists() and _path.stat().st_mode & 0o077:
                    _path.chmod(0o600)
            except PermissionError:  # not ours to change: leave it to the operator
                pass

# Email: with KENGEN_EMAIL_HOST set, mail goes to that SMTP server (unless KENGEN_EMAIL_BACKEND says
# otherwise); the console backend, which prints every message to the process's output (and so to
# its logs), stays only for a deployment without a mail server (development, the demo).
if os.environ.get("KENGEN_EMAIL_HOST") and not os.environ.get("KENGEN_EMAIL_BACKEND"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
# The key that, with each reveal link's token, seals a temporary password until its one-time
# reveal (credentials.passwords.seal_temporary). Set it apart from KENGEN_SECRET_KEY and outside
# the data directory; unset, a key derived from the secret key is used.
KENGEN_CREDENTIAL_KEY = os.environ.get("KENGEN_CREDENTIAL_KEY", "")
