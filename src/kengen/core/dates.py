"""The Japanese fiscal year (年度): April 1 to March 31.

One place for the arithmetic every app needs: application numbers per fiscal year, the end of a
fiscal-year appointment, the dashboard's "ending this fiscal year", the demo staff's appointments.
Ends are exclusive, as everywhere in Kengen (``valid_to``): the fiscal year 2025 is
``[2025-04-01, 2026-04-01)``.
"""

from __future__ import annotations

import datetime as dt

#: The month the fiscal year starts in (April).
FISCAL_YEAR_START_MONTH = 4


def fiscal_year(date: dt.date) -> int:
    """The fiscal year containing ``date``, named by the calendar year it starts in
    (2026-03-31 → 2025; 2026-04-01 → 2026)."""
    return date.year if date.month >= FISCAL_YEAR_START_MONTH else date.year - 1


def fiscal_year_start(date: dt.date) -> dt.date:
    """April 1 of the fiscal year containing ``date``."""
    return dt.date(fiscal_year(date), FISCAL_YEAR_START_MONTH, 1)


def fiscal_year_end(date: dt.date) -> dt.date:
    """The exclusive end of the fiscal year containing ``date``: April 1 of the next one."""
    return dt.date(fiscal_year(date) + 1, FISCAL_YEAR_START_MONTH, 1)


def fiscal_year_period(date: dt.date) -> tuple[dt.date, dt.date]:
    """``(start, exclusive end)`` of the fiscal year containing ``date``."""
    return fiscal_year_start(date), fiscal_year_end(date)
