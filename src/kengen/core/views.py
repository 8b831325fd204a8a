"""Small helpers every app's views share (pagination, export format).

The home page lives in the ``dashboard`` app; ``audited_export`` in ``audit.exports``; the fiscal
year in ``core.dates``."""

from __future__ import annotations

from django.core.paginator import Page as DjangoPage
from django.core.paginator import Paginator

from kengen.core.paging import Listing, Page

PER_PAGE = 50
EXPORT_FORMATS = ("xlsx", "csv")


def paginate(request, items, per_page: int = PER_PAGE) -> dict:
    """``page_obj`` and an elided ``page_range`` for ``includes/pagination.html``."""
    paginator = Paginator(items, per_page)
    page: DjangoPage = paginator.get_page(request.GET.get("page"))
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


def keyset_paginate(request, listing: Listing | None, per_page: int = PER_PAGE) -> dict:
    """``page`` (a :class:`~kengen.core.paging.Page`), ``count``/``count_exact`` and the links of
    ``includes/keyset_pagination.html`` for a listing paged in the database.

    ``?cursor=`` (the links this builds) costs the same on every page; ``?page=N`` is still
    understood (an offset) and ``?cursor=last`` jumps to the end."""
    if listing is None:
        return {"page": Page([], 1, False, False), "count": 0, "count_exact": True, "pages": 1}
    count, exact = listing.count()
    pages = max(1, -(-count // per_page)) if exact else None
    cursor = request.GET.get("cursor", "")
    if cursor == "last":
        page = listing.page(limit=per_page, last=True)
        page.number = pages or 0
    elif cursor:
        page = listing.page(listing.cursor(cursor), limit=per_page)
    else:
        try:
            number = max(1, int(request.GET.get("page", "1")))
        except ValueError:
            number = 1
        if pages is not None:
            number = min(number, pages)
        page = (
            listing.page(limit=per_page)
            if number == 1
            else listing.offset_page((number - 1) * per_page, per_page)
        )
    return {"page": page, "count": count, "count_exact": exact, "pages": pages}


def favicon(request):
    """``/favicon.ico``, which browsers ask for on every site whatever the page links: the icon
    from the static folder (also linked from ``base.html``), cached for a day."""
    from pathlib import Path

    from django.http import FileResponse

    icon = Path(__file__).resolve().parent.parent / "static" / "kengen" / "favicon.ico"
    response = FileResponse(icon.open("rb"), content_type="image/vnd.microsoft.icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response
