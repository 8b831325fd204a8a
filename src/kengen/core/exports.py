"""CSV and Excel output for every list Kengen exports.

- CSV is UTF-8 with a BOM by default (Excel opens it correctly), CP932 on request; characters
  CP932 cannot hold become 〓 (geta, the conventional substitute) rather than failing the export.
- Every text cell is escaped against formula injection (OWASP "CSV Injection"): a cell starting
  with ``= + - @`` or a tab/CR is prefixed with an apostrophe, in CSV and in Excel alike.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
GETA = "〓"


def _geta(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeEncodeError)
    return GETA * (error.end - error.start), error.end


codecs.register_error("kengen-geta", _geta)
CSV_ENCODINGS = ("utf-8-sig", "cp932")


def escape_cell(value: Any) -> Any:
    """Neutralise a value a spreadsheet would otherwise evaluate as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


@dataclass
class Table:
    """A list ready for export: a title, column headers and rows of plain values."""

    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence[Any]]


def to_csv(table: Table, *, encoding: str = "utf-8-sig") -> bytes:
    if encoding not in CSV_ENCODINGS:
        raise ValueError(f"unsupported CSV encoding {encoding!r}; use one of {CSV_ENCODINGS}")
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([escape_cell(h) for h in table.headers])
    for row in table.rows:
        writer.writerow([escape_cell(_text(v)) for v in row])
    text = buf.getvalue()
    if encoding == "cp932":
        return text.encode("cp932", errors="kengen-geta")
    return text.encode("utf-8-sig")


def to_xlsx(table: Table) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = table.title[:31] or "Sheet1"
    ws.append([escape_cell(h) for h in table.headers])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    widths = [len(str(h)) for h in table.headers]
    for row in table.rows:
        values = []
        for i, v in enumerate(row):
            if isinstance(v, dt.datetime) and v.tzinfo is not None:
                v = v.replace(tzinfo=None)  # Excel has no time zones; callers pass local time
            value = escape_cell(v) if not isinstance(v, bool) else int(v)
            values.append(value)
            if i < len(widths):
                widths[i] = max(widths[i], len(_text(v)))
        ws.append(values)
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = min(60, max(8, w * 2 + 2))
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def export_response(table: Table, fmt: str, filename: str, *, encoding: str = "utf-8-sig"):
    """An ``HttpResponse`` with the table as ``csv`` or ``xlsx``."""
    if fmt == "xlsx":
        body = to_xlsx(table)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        name = f"{filename}.xlsx"
    elif fmt == "csv":
        body = to_csv(table, encoding=encoding)
        charset = "Shift_JIS" if encoding == "cp932" else "utf-8"
        content_type = f"text/csv; charset={charset}"
        name = f"{filename}.csv"
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response
