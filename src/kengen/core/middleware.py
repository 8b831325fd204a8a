"""Map domain exceptions raised under a UI view to a response (the API maps them itself)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import redirect

from kengen.core.exceptions import Conflict, DomainError, NotFound, PermissionDenied


class DomainExceptionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DomainError) or request.path.startswith("/api/"):
            return None
        if isinstance(exception, NotFound):
            raise Http404(str(exception.message))
        if isinstance(exception, PermissionDenied):
            return HttpResponseForbidden(str(exception.message))
        # Conflict and RuleViolation: tell the user, go back to where they were.
        text = str(exception.message)
        if exception.clause:
            text = f"{text} [{exception.clause}]"
        messages.error(request, text)
        level = "conflict" if isinstance(exception, Conflict) else "rule"
        return redirect(request.META.get("HTTP_REFERER") or "/", permanent=False) if level else None
