"""Small helpers every app's views share (pagination, export format).

The home page lives in the ``dashboard`` app; ``audited_export`` in ``audit.exports``; the fiscal
year in ``core.dates``."""

from __future__ import annotations

from django.core.paginator import Page, Paginator

PER_PAGE = 50
EXPORT_FORMATS = ("xlsx", "csv")


def paginate(request, items, per_page: int = PER_PAGE) -> dict:
    """``page_obj`` and an elided ``page_range`` for ``includes/pagination.html``."""
    paginator = Paginator(items, per_page)
    page: Page = paginator.get_page(request.GET.get("page"))
    return {
        "page_obj": page,
        "page_range": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
    }


def export_format(request) -> tuple[str, str] | None:
    """``(format, encoding)`` when the request asks for an export (``?format=xlsx|csv``)."""
    fmt = request.GET.get("format", "")
    if fmt not in EXPORT_FORMATS:
        return None
    encoding = (
        "cp932" if request.GET.get("encoding", "").lower() in {"cp932", "sjis", "shift_jis"} else "utf-8-sig"
    )
    return fmt, encoding


def bad_request(request, exception=None):
    """``handler400``: for a ``BadRequest`` raised by Kengen (e.g. an as-of date before the Meiji
    era), the page with what was wrong; anything else (a disallowed host, a suspicious request)
    gets Django's plain 400, which needs nothing from the request."""
    from django.core.exceptions import BadRequest
    from django.shortcuts import render
    from django.views.defaults import bad_request as plain_bad_request

    if type(exception) is not BadRequest or not hasattr(request, "user"):
        return plain_bad_request(request, exception)
    return render(request, "400.html", {"message": str(exception)}, status=400)
