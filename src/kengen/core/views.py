"""Small helpers every app's views share (pagination, export format, the fiscal year).

The home page lives in the ``dashboard`` app; ``audited_export`` in ``audit.exports``."""

from __future__ import annotations

import datetime as dt

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


def fiscal_year_end(date: dt.date) -> dt.date:
    """The exclusive end of the fiscal year (April–March) containing ``date``: 1 April next."""
    return dt.date(date.year + 1 if date.month >= 4 else date.year, 4, 1)
