"""Map domain exceptions raised under a UI view to a response (the API maps them itself)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme

from kengen.core.exceptions import DomainError, NotFound, PermissionDenied
from kengen.core.refusals import refusal_text
from kengen.core.signals import access_refused


def audit_authorization_failure(request, exception: PermissionDenied) -> None:
    """Record a refused action (the service's own transaction was rolled back): the audit app
    receives ``access_refused`` and writes the event."""
    user = getattr(request, "auth", None) or getattr(request, "user", None)
    access_refused.send(
        sender=DomainExceptionMiddleware,
        actor=user if getattr(user, "pk", None) else None,
        target=None,
        target_label=f"{request.method} {request.path}"[:300],
        details={"clause": exception.clause, "reason": str(exception.message)},
        ip_address=request.META.get("REMOTE_ADDR"),
    )


def _same_site_referer(request) -> str | None:
    referer = request.META.get("HTTP_REFERER")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}):
        return referer
    return None


class DomainExceptionMiddleware:
    """The UI's one refusal handler (see ``core.refusals``): ``NotFound`` → 404,
    ``PermissionDenied`` → 403 (audited), ``Conflict``/``RuleViolation`` → the message with its
    clause, back to the page the user came from."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        back = getattr(view_func, "refusal_back", None)
        if back is not None:
            url_name, names = back
            request.refusal_back = reverse(url_name, kwargs={name: view_kwargs[name] for name in names})
        return None

    def process_exception(self, request, exception):
        if not isinstance(exception, DomainError) or request.path.startswith("/api/"):
            return None
        if isinstance(exception, NotFound):
            raise Http404(str(exception.message))
        if isinstance(exception, PermissionDenied):
            from django.core.exceptions import PermissionDenied as DjangoPermissionDenied

            audit_authorization_failure(request, exception)
            raise DjangoPermissionDenied(str(exception.message))  # rendered by 403.html
        # Conflict and RuleViolation: tell the user, go back to where they were.
        messages.error(request, refusal_text(exception))
        return redirect(_same_site_referer(request) or getattr(request, "refusal_back", None) or "/")


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every API response and every download (exports, PDFs):
    they carry personal data and sometimes one-time secrets (a maintenance password, a viewing
    password), which no browser or proxy cache may keep. Pages that show a one-time secret are
    ``never_cache`` themselves."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        sensitive = request.path.startswith("/api/") or response.has_header("Content-Disposition")
        if sensitive and "no-store" not in response.get("Cache-Control", ""):
            patch_cache_control(response, no_store=True, no_cache=True, max_age=0, private=True)
        return response
