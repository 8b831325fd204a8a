"""Page bodies kept per process under data versions (issue 10): the HTML of a page's content (what
its template draws inside ``{% block content %}``), rendered once and shared by later requests
while none of the data versions it was read under has moved.

Every input of the body is in the key: the page, the versions (which count every write to the
tables it reads: see ``core.versions``), the language, the URL prefix, today's date (the scope and
the default as-of date), the whole query string, whether htmx asked (a fragment), and — for a page
whose rows depend on who asks — the user's id, person, superuser and active flags (what the scope
is computed from, with the scope version). What is per request is never kept: the CSRF token is
rendered as a placeholder and filled in per request; messages and the menu's unread badge are in
``base.html``, outside the body. Inside a transaction (``data_version`` is ``None``) nothing is
kept or used. See docs/architecture.md, "Page bodies kept under data versions".
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from typing import Any

from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from kengen.core.versions import SharedCache, data_version

#: Rendered instead of the CSRF token in a kept body; unguessable, so no stored text can contain it.
CSRF_PLACEHOLDER = f"kgcsrf{secrets.token_hex(16)}"
#: A body longer than this (characters) is rendered on every request instead of kept.
MAX_KEPT = 400_000  # × 256 entries: ≈ 100 MB a process at the very worst, ≈ 10 MB for the demo

_bodies = SharedCache(limit=256)


def kept_body(
    request: HttpRequest,
    page: str,
    versions: Iterable[int],
    build: Callable[[], str],
    *,
    per_user: bool,
) -> SafeString:
    """``build()`` (the body's HTML, safe), kept under ``page``, the data ``versions`` (rows of
    ``ScopeDataVersion``) and the request's inputs (see the module's docstring). ``per_user``:
    the body depends on who asks (their scope), not only on the data."""
    user: Any = request.user
    current = tuple(data_version(user, row) for row in versions)
    if None in current:
        return _fill(request, build())
    who = (user.pk, getattr(user, "person_id", None), user.is_superuser, user.is_active) if per_user else None
    key = (
        page,
        current,
        translation.get_language(),
        get_script_prefix(),
        timezone.localdate(),
        request.META.get("QUERY_STRING", ""),
        bool(request.headers.get("HX-Request")),
        who,
    )
    body = _bodies.get(key)
    if body is SharedCache.MISSING:
        body = build()
        if len(body) <= MAX_KEPT:
            _bodies.put(key, body)
    return _fill(request, body)


def render_body(request: HttpRequest, template: str, context: dict[str, Any]) -> str:
    """``template`` rendered for a kept body: the CSRF token as the placeholder."""
    return render_to_string(template, {**context, "csrf_token": CSRF_PLACEHOLDER}, request=request)


def _fill(request: HttpRequest, body: str) -> SafeString:
    if CSRF_PLACEHOLDER in body:
        body = body.replace(CSRF_PLACEHOLDER, get_token(request))
    return mark_safe(body)
