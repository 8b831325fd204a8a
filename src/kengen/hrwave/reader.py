"""Reading an HR list: CSV (CP932 or UTF-8, with or without BOM, detected) or Excel (.xlsx).

Only reads bytes into header + rows of text; nothing here touches the database. Refuses safely:
files over ``MAX_BYTES`` or ``MAX_ROWS``, files that are neither CSV text nor a workbook, and
cells that a spreadsheet would run as a formula (reported per row and column by the validator).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from kengen.core.exceptions import RuleViolation

MAX_BYTES = 64 * 1024 * 1024  # a 1,000,000-line HR export in CP932 is ~60 MB
MAX_ROWS = 3_000_000
MAX_CELL = 500
_XLSX_MAGIC = b"PK\x03\x04"
_BOM = b"\xef\xbb\xbf"
_FORMULA_START = ("=", "+", "@", "\t", "\r")


@dataclass
class Sheet:
    """The file as text: ``encoding`` is what was detected (``utf-8-sig``, ``utf-8``, ``cp932``,
    ``xlsx``); ``rows`` yields (row number in the file, cells)."""

    encoding: str
    header: list[str]
    rows: Iterator[tuple[int, list[str]]] = field(repr=False)


def looks_like_formula(text: str) -> bool:
    """A cell a spreadsheet would evaluate (OWASP CSV injection): ``=``, ``+``, ``@``, a tab or CR
    first, or ``-`` not followed by a digit."""
    if not text:
        return False
    if text.startswith(_FORMULA_START):
        return True
    return text.startswith("-") and not (len(text) > 1 and text[1].isdigit())


def detect_encoding(data: bytes) -> str:
    """UTF-8 with BOM, UTF-8, or CP932 (never plain ``shift_jis``: it lacks 髙, 﨑, ①)."""
    if data.startswith(_BOM):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        data.decode("cp932")
        return "cp932"
    except UnicodeDecodeError as exc:
        raise RuleViolation(
            _("The file is neither UTF-8 nor CP932 text (byte %(pos)d).") % {"pos": exc.start + 1},
            field="file",
        ) from exc


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _xlsx(data: bytes) -> Sheet:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise RuleViolation(_("The file is not a readable Excel workbook (.xlsx)."), field="file") from exc
    ws = wb.worksheets[0]
    it = ws.iter_rows(values_only=True)
    try:
        header = [_cell_text(v) for v in next(it)]
    except StopIteration:
        raise RuleViolation(_("The file is empty."), field="file") from None

    def rows() -> Iterator[tuple[int, list[str]]]:
        for n, values in enumerate(it, start=2):
            cells = [_cell_text(v) for v in values]
            if any(cells):
                yield n, cells
        wb.close()

    return Sheet("xlsx", header, rows())


def read_sheet(data: bytes) -> Sheet:
    """Open ``data`` as an HR list, or refuse it with a clear reason."""
    if len(data) > MAX_BYTES:
        raise RuleViolation(
            _("The file is too large (%(size)d MB; at most %(max)d MB).")
            % {"size": len(data) // (1024 * 1024), "max": MAX_BYTES // (1024 * 1024)},
            field="file",
        )
    if not data.strip():
        raise RuleViolation(_("The file is empty."), field="file")
    if data.startswith(_XLSX_MAGIC):
        return _xlsx(data)
    if b"\x00" in data[:65536]:
        raise RuleViolation(_("The file is not a CSV text file or an Excel workbook (.xlsx)."), field="file")
    encoding = detect_encoding(data)
    text = data.decode(encoding)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [c.strip() for c in next(reader)]
    except StopIteration:
        raise RuleViolation(_("The file is empty."), field="file") from None
    except csv.Error as exc:
        raise RuleViolation(_("The file is not valid CSV: %(e)s") % {"e": exc}, field="file") from exc

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            for cells in reader:
                if any(c.strip() for c in cells):
                    yield reader.line_num, [c.strip() for c in cells]
        except csv.Error as exc:
            raise RuleViolation(
                _("Row %(row)d is not valid CSV: %(e)s") % {"row": reader.line_num, "e": exc}, field="file"
            ) from exc

    return Sheet(encoding, header, rows())
