"""A lean path for the systems' sign-in API (``POST /api/v1/systems/{code}/verify`` and
``…/password``), issue 9.

Those requests carry a system's API key and nothing a browser sends: no session, no CSRF token,
no second factor, no acknowledgement to check. They used to pass through the whole browser
middleware stack anyway. This middleware, placed after the security, CSP, no-store and static-file
middleware, answers them itself through the few middleware they do need — the language (their
``message`` is translated, ``Accept-Language``), host validation (``CommonMiddleware``) and the
frame header — and then, for a verify, ``credentials.api.verify_hot_path`` (no django-ninja: a
cached key, one statement) or, for anything out of the ordinary and for password changes,
django-ninja's view, whose own authentication (``SystemKeyAuth``: the key, its throttle, its
audit) is unchanged. Every other request goes on down the usual stack.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpRequest, HttpResponseBase
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.common import CommonMiddleware
from django.middleware.locale import LocaleMiddleware
from django.urls import Resolver404, resolve

#: The endpoints of ``kengen.credentials.api.systems_router`` (``SystemKeyAuth`` only).
LEAN_PATH = re.compile(r"^/api/v1/systems/[^/]+/(?:verify|password)$")


def is_system_sign_in(request: HttpRequest) -> bool:
    return request.method == "POST" and LEAN_PATH.match(request.path_info) is not None


class SystemSignInMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response
        # As Django's handler builds its chain (synchronous: Kengen is served over WSGI).
        handler: Any = convert_exception_to_response(self._view)
        for middleware in (XFrameOptionsMiddleware, CommonMiddleware, LocaleMiddleware):
            handler = convert_exception_to_response(middleware(handler))
        self.lean: Callable[[HttpRequest], HttpResponseBase] = handler

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not is_system_sign_in(request):
            return self.get_response(request)
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return self.get_response(request)
        request.resolver_match = match
        return self.lean(request)

    @staticmethod
    def _view(request: HttpRequest) -> HttpResponseBase:
        from django.contrib.auth.models import AnonymousUser

        request.user = AnonymousUser()  # never a browser's session: the key is the credential
        match = request.resolver_match
        assert match is not None
        if request.path_info.endswith("/verify"):
            from kengen.credentials.api import verify_hot_path

            hot = verify_hot_path(request, str(match.kwargs.get("code", "")))
            if hot is not None:
                return hot
        response: HttpResponseBase = match.func(request, *match.args, **match.kwargs)
        return response
