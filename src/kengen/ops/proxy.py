"""Reverse proxies: believe X-Forwarded-For / X-Forwarded-Proto only from the proxies named in
``KENGEN_TRUSTED_PROXIES`` (addresses or CIDR networks; ``*`` trusts every peer, for a server that
listens on a socket only the proxy can reach).

From a trusted peer, ``REMOTE_ADDR`` becomes the client address the proxy saw (the right-most
address in X-Forwarded-For that is not itself a trusted proxy), so throttling and the audit log
record the person, not the proxy; and the request scheme becomes the one the browser used, so
``request.is_secure()`` and the CSRF origin check agree with the browser. From anyone else the
headers are removed, so they cannot be spoofed.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST", "HTTP_FORWARDED")


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[bool, tuple[Network, ...]]:
    if "*" in entries:
        return True, ()
    return False, tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _trusted(address: str, entries: tuple[str, ...]) -> bool:
    everyone, networks = _networks(entries)
    if everyone:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def forwarded_client(remote_addr: str, forwarded_for: str, entries: tuple[str, ...]) -> str:
    """The client address: walk X-Forwarded-For from the right past trusted proxies."""
    client = remote_addr
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            break  # garbage: stop at the last address we could trust
        client = hop
        if not _trusted(hop, entries):
            break
    return client


class TrustedProxyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        entries = tuple(getattr(settings, "KENGEN_TRUSTED_PROXIES", ()))
        meta = request.META
        peer = meta.get("REMOTE_ADDR", "")
        if entries and _trusted(peer, entries):
            if forwarded_for := meta.get("HTTP_X_FORWARDED_FOR"):
                meta["REMOTE_ADDR"] = forwarded_client(peer, forwarded_for, entries)
            proto = meta.get("HTTP_X_FORWARDED_PROTO", "").split(",")[0].strip().lower()
            if proto in {"http", "https"}:
                meta["wsgi.url_scheme"] = proto
        else:
            for header in _HEADERS:
                meta.pop(header, None)
        return self.get_response(request)
