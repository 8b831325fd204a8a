"""The HTTP form of an evidence file, the same for the UI and the API."""

from __future__ import annotations

from urllib.parse import quote

from django.http import HttpResponse

from kengen.outsourcing.models import EvidenceFile


def evidence_response(file: EvidenceFile) -> HttpResponse:
    """Always a download, never rendered by the browser: a crafted file cannot run script on
    Kengen's origin (``nosniff``, a sandboxing CSP, an attachment)."""
    response = HttpResponse(bytes(file.data), content_type=file.content_type)
    ascii_name = file.name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(file.name)}"
    response["Content-Disposition"] = disposition
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response
