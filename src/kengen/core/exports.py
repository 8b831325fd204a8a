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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.http import FileResponse, HttpResponse, StreamingHttpResponse

from kengen.core.era import wareki
from kengen.core.xlsx import write_sheet

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
    """The table as .xlsx bytes, through the same writer as the streamed exports (one look for
    every Excel file Kengen writes: real dates in the Japanese era, frozen header, autofilter)."""
    out = io.BytesIO()
    write_xlsx(table, out)
    return out.getvalue()


def export_name(label: str, on: dt.date) -> str:
    """The Japanese name a downloaded file is saved as: 管理ファイル_令和8年12月2日 (no extension)."""
    return f"{label}_{wareki(on)}".translate({ord(c): "_" for c in '\\/:*?"<>|'})


def content_disposition(name: str, fallback: str) -> str:
    """``attachment`` with the (Japanese) file name as RFC 6266/5987 ``filename*`` and an ASCII
    ``filename`` for clients that do not read it: 管理ファイル_令和8年12月2日.xlsx, falling back
    to management-file-2026-12-02.xlsx."""
    ascii_name = "".join(c if 32 <= ord(c) < 127 and c not in '"\\;' else "_" for c in fallback)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def iter_csv(table: Table, *, encoding: str = "utf-8-sig", batch: int = 1000) -> Iterator[bytes]:
    """The same bytes as :func:`to_csv`, produced ``batch`` rows at a time (bounded memory)."""
    if encoding not in CSV_ENCODINGS:
        raise ValueError(f"unsupported CSV encoding {encoding!r}; use one of {CSV_ENCODINGS}")
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")

    def flush(first: bool = False) -> bytes:
        text = buf.getvalue()
        buf.seek(0)
        buf.truncate()
        if encoding == "cp932":
            return text.encode("cp932", errors="kengen-geta")
        return text.encode("utf-8-sig" if first else "utf-8")

    writer.writerow([escape_cell(h) for h in table.headers])
    yield flush(first=True)
    n = 0
    risky = frozenset(FORMULA_PREFIXES)  # all one character: test the first one only
    for row in table.rows:
        cells = [v if type(v) is str else _text(v) for v in row]
        writer.writerow([("'" + c) if c[:1] in risky else c for c in cells])
        n += 1
        if n % batch == 0:
            yield flush()
    if n % batch:
        yield flush()


def write_xlsx(table: Table, out: Any, *, sample: int = 200) -> int:
    """The table as .xlsx into ``out`` (a binary file), streamed row by row with
    :mod:`kengen.core.xlsx` (openpyxl spends minutes on a million rows); memory stays flat.
    Column widths come from the headers and the first ``sample`` rows. Returns the row count."""
    rows = iter(table.rows)
    head: list[Sequence[Any]] = []
    for row in rows:
        head.append(row)
        if len(head) >= sample:
            break
    widths = [len(str(h)) for h in table.headers]
    for row in head:
        for i, v in enumerate(row):
            if i < len(widths):
                widths[i] = max(widths[i], len(_text(v)))

    def all_rows():
        yield from head
        yield from rows

    return write_sheet(
        out,
        title=table.title,
        headers=[str(h) for h in table.headers],
        rows=all_rows(),
        widths=[min(60, max(8, w * 2 + 2)) for w in widths],
        escape=escape_cell,
    )


def export_response(
    table: Table, fmt: str, filename: str, *, encoding: str = "utf-8-sig", name: str | None = None
):
    """An ``HttpResponse`` with the table as ``csv`` or ``xlsx``, saved as ``name`` (Japanese, the
    extension added) or, by clients that cannot read it, ``filename`` (ASCII)."""
    if fmt == "xlsx":
        body = to_xlsx(table)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        ext = "xlsx"
    elif fmt == "csv":
        body = to_csv(table, encoding=encoding)
        charset = "Shift_JIS" if encoding == "cp932" else "utf-8"
        content_type = f"text/csv; charset={charset}"
        ext = "csv"
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = content_disposition(f"{name or filename}.{ext}", f"{filename}.{ext}")
    return response


def streaming_export_response(
    table: Table, fmt: str, filename: str, *, encoding: str = "utf-8-sig", name: str | None = None
):
    """Like :func:`export_response` for tables whose rows are a stream (a whole management file).

    CSV is sent while it is read (the browser shows the download growing). XLSX cannot be sent
    before it is complete (a zip's directory comes last), so it is written in write-only mode to
    a temporary file and then streamed from there with its length (the browser shows progress)."""
    if fmt == "csv":
        charset = "Shift_JIS" if encoding == "cp932" else "utf-8"
        response: StreamingHttpResponse = StreamingHttpResponse(
            iter_csv(table, encoding=encoding), content_type=f"text/csv; charset={charset}"
        )
        ext = "csv"
    elif fmt == "xlsx":
        import tempfile

        tmp = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 (the response closes and so removes it)
        write_xlsx(table, tmp)
        tmp.seek(0)
        response = FileResponse(
            tmp, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        ext = "xlsx"
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    response["Content-Disposition"] = content_disposition(f"{name or filename}.{ext}", f"{filename}.{ext}")
    response["Cache-Control"] = "no-store"
    return response
