"""Behind a TLS-terminating reverse proxy: scheme, client address and the CSRF origin check."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from kengen.audit.choices import AuditAction
from kengen.audit.models import AuditEvent
from kengen.ops.proxy import forwarded_client
from kengen.testing import TEST_PASSWORD

pytestmark = pytest.mark.django_db

HOST = "kengen.city.example.lg.jp"
PROXY = "10.0.0.5"


@pytest.fixture
def behind_proxy(settings):
    settings.ALLOWED_HOSTS = [HOST]
    settings.KENGEN_TRUSTED_PROXIES = ["10.0.0.0/24"]
    settings.CSRF_TRUSTED_ORIGINS = [f"https://{HOST}"]
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    return settings


def _sign_in_through_proxy(client: Client, *, remote_addr: str = PROXY, forwarded_for: str = "192.0.2.44"):
    headers: dict[str, Any] = {
        "HTTP_HOST": HOST,
        "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_X_FORWARDED_FOR": forwarded_for,
        "REMOTE_ADDR": remote_addr,
    }
    client.get(reverse("users:login"), **headers)
    token = client.cookies["csrftoken"].value
    return client.post(
        reverse("users:login"),
        {"username": "jinji-clerk", "password": TEST_PASSWORD, "csrfmiddlewaretoken": token},
        HTTP_ORIGIN=f"https://{HOST}",
        HTTP_REFERER=f"https://{HOST}/login/",
        **headers,
    )


def test_sign_in_post_through_a_tls_proxy_passes_the_csrf_check(world, behind_proxy):
    response = _sign_in_through_proxy(Client(enforce_csrf_checks=True))
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:home")


def test_the_trusted_origin_alone_lets_the_sign_in_through_a_proxy_not_yet_trusted(world, behind_proxy):
    behind_proxy.KENGEN_TRUSTED_PROXIES = []
    response = _sign_in_through_proxy(Client(enforce_csrf_checks=True))
    assert response.status_code == 302


def test_the_scheme_from_a_trusted_proxy_alone_lets_the_sign_in_through(world, behind_proxy):
    behind_proxy.CSRF_TRUSTED_ORIGINS = []
    response = _sign_in_through_proxy(Client(enforce_csrf_checks=True))
    assert response.status_code == 302


def test_without_proxy_settings_the_https_origin_is_refused_as_before(world, behind_proxy):
    """What operators met before KENGEN_BASE_URL / KENGEN_TRUSTED_PROXIES were read."""
    behind_proxy.KENGEN_TRUSTED_PROXIES = []
    behind_proxy.CSRF_TRUSTED_ORIGINS = []
    response = _sign_in_through_proxy(Client(enforce_csrf_checks=True))
    assert response.status_code == 403


def test_the_audit_log_records_the_client_address_the_trusted_proxy_saw(world, behind_proxy):
    _sign_in_through_proxy(Client(enforce_csrf_checks=True), forwarded_for="198.51.100.7, 192.0.2.44")
    event = AuditEvent.objects.filter(action=AuditAction.LOGIN_SUCCEEDED).latest("seq")
    assert event.ip_address == "192.0.2.44"


def test_forwarded_headers_from_an_untrusted_peer_are_ignored(world, behind_proxy, client):
    behind_proxy.CSRF_TRUSTED_ORIGINS = []
    response = _sign_in_through_proxy(Client(enforce_csrf_checks=True), remote_addr="203.0.113.9")
    assert response.status_code == 403  # X-Forwarded-Proto was dropped: the request stays http


def test_untrusted_peer_cannot_choose_its_audited_address(world, behind_proxy):
    client = Client()
    client.post(
        reverse("users:login"),
        {"username": "jinji-clerk", "password": TEST_PASSWORD},
        HTTP_HOST=HOST,
        HTTP_X_FORWARDED_FOR="192.0.2.99",
        REMOTE_ADDR="203.0.113.9",
    )
    event = AuditEvent.objects.filter(action=AuditAction.LOGIN_SUCCEEDED).latest("seq")
    assert event.ip_address == "203.0.113.9"


@pytest.mark.parametrize(
    ("forwarded_for", "expected"),
    [
        ("192.0.2.1", "192.0.2.1"),
        ("192.0.2.1, 10.0.0.7", "192.0.2.1"),  # a second trusted proxy in the chain is skipped
        ("1.1.1.1, 192.0.2.1", "192.0.2.1"),  # the left-most entry is the client's own claim
        ("not-an-ip", "10.0.0.5"),
        ("192.0.2.1, garbage, 10.0.0.7", "10.0.0.7"),
    ],
)
def test_client_address_is_the_rightmost_untrusted_hop(forwarded_for, expected):
    assert forwarded_client("10.0.0.5", forwarded_for, ("10.0.0.0/24",)) == expected


def test_a_star_trusts_every_peer():
    assert forwarded_client("172.16.0.1", "192.0.2.1", ("*",)) == "192.0.2.1"


def test_csrf_origin_and_cookies_follow_the_base_url(settings_under):
    values = settings_under(
        ["CSRF_TRUSTED_ORIGINS", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "KENGEN_TRUSTED_PROXIES"],
        KENGEN_BASE_URL="https://kengen.city.example.lg.jp/",
        KENGEN_TRUSTED_PROXIES="10.0.0.5, 192.168.10.0/24",
    )
    assert values == {
        "CSRF_TRUSTED_ORIGINS": ["https://kengen.city.example.lg.jp"],
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "KENGEN_TRUSTED_PROXIES": ["10.0.0.5", "192.168.10.0/24"],
    }


def test_secure_cookies_can_be_turned_off_explicitly(settings_under):
    values = settings_under(
        ["SESSION_COOKIE_SECURE", "KENGEN_SECURE_COOKIES_OPT_OUT"],
        KENGEN_BASE_URL="https://kengen.city.example.lg.jp",
        KENGEN_SECURE_COOKIES="0",
    )
    assert values == {"SESSION_COOKIE_SECURE": False, "KENGEN_SECURE_COOKIES_OPT_OUT": True}


def test_a_malformed_boolean_is_refused_with_its_name(settings_under):
    values = settings_under(["DEBUG"], KENGEN_DEBUG="maybe")
    assert values["error"] == "ImproperlyConfigured: KENGEN_DEBUG must be 1 or 0, not 'maybe'"
