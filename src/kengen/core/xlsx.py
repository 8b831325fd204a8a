"""A streaming .xlsx writer for exports too large for openpyxl.

openpyxl's write-only mode keeps memory flat but spends about 10 µs per cell building XML through
its element tree (a million-row management file: 14 million cells, minutes). This writes the
SpreadsheetML text directly: inline strings, numbers, dates as real dates (serial numbers) shown in
the Japanese era, a bold header row, column widths, a frozen header and an autofilter over every
column, into a zip written to a file object.

Dates use the number format ``[$-411]ggge"年"m"月"d"日"`` (``DATE_FORMAT``): the language tag 411
(ja-JP) makes ``ggg`` the era name and ``e`` the year of the era, so a cell holds 2024-04-01 — it
sorts and filters as a date — and shows 令和6年4月1日. Excel (Windows and Mac) and LibreOffice
read this form; the newer ``[$-ja-JP-x-gannen]`` tag that prints 元年 is not understood by
LibreOffice or older Excel, so the first year of an era shows as 1年 in the spreadsheet (the
forms and pages, written by :mod:`kengen.core.era`, still say 元年). Same cell rules as
:mod:`kengen.core.exports` (formula-like text is escaped, booleans are 0/1, time zones dropped).
The result opens in Excel and LibreOffice and reads back with openpyxl (tested).
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterable, Sequence
from typing import IO, Any

from openpyxl.utils import get_column_letter

_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EPOCH = dt.datetime(1899, 12, 30)
_STYLE_DATE, _STYLE_DATETIME, _STYLE_BOLD = 1, 2, 3
#: The number formats of date and date-time cells (what openpyxl reads back as ``number_format``).
DATE_FORMAT = '[$-411]ggge"年"m"月"d"日"'
DATETIME_FORMAT = '[$-411]ggge"年"m"月"d"日" h:mm:ss'

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
    'Target="styles.xml"/></Relationships>'
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="2">'
    '<numFmt numFmtId="164" formatCode="[$-411]ggge&quot;年&quot;m&quot;月&quot;d&quot;日&quot; h:mm:ss"/>'
    '<numFmt numFmtId="165" formatCode="[$-411]ggge&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/>'
    "</numFmts>"
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _xml(text: str) -> str:
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if '"' in text:
        text = text.replace('"', "&quot;")
    return _ILLEGAL.sub("", text)


def _string_cell(ref: str, text: str, style: int = 0) -> str:
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    s = f' s="{style}"' if style else ""
    return f'<c r="{ref}" t="inlineStr"{s}><is><t{space}>{_xml(text)}</t></is></c>'


def _cell(ref: str, value: Any, escape) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return _string_cell(ref, escape(value))
    if isinstance(value, bool):
        return f'<c r="{ref}"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    if isinstance(value, dt.datetime):
        naive = value.replace(tzinfo=None)  # Excel has no time zones; callers pass local time
        serial = (naive - _EPOCH).total_seconds() / 86400
        return f'<c r="{ref}" s="{_STYLE_DATETIME}"><v>{serial!r}</v></c>'
    if isinstance(value, dt.date):
        return f'<c r="{ref}" s="{_STYLE_DATE}"><v>{(value - _EPOCH.date()).days}</v></c>'
    return _string_cell(ref, escape(str(value)))


def write_sheet(
    out: IO[bytes],
    *,
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    widths: Sequence[float],
    escape,
    batch: int = 500,
) -> int:
    """Write a one-sheet workbook to ``out``; return the number of data rows."""
    letters = [get_column_letter(i) for i in range(1, max(len(headers), 1) + 64)]
    name = _xml(re.sub(r"[\[\]:*?/\\]", "_", title)[:31] or "Sheet1")
    n = 0
    last = letters[max(len(headers), 1) - 1]
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        zf.writestr("xl/styles.xml", _STYLES)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            cols = "".join(
                f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
                for i, w in enumerate(widths, start=1)
            )
            head = "".join(
                _string_cell(f"{letters[i]}1", escape(str(h)), _STYLE_BOLD) for i, h in enumerate(headers)
            )
            sheet.write(
                (
                    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                    '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
                    'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
                    f"<cols>{cols}</cols><sheetData>"
                    f'<row r="1">{head}</row>'
                ).encode()
            )
            parts: list[str] = []
            for n, row in enumerate(rows, start=1):
                r = n + 1
                parts.append(
                    f'<row r="{r}">'
                    + "".join(_cell(f"{letters[i]}{r}", v, escape) for i, v in enumerate(row))
                    + "</row>"
                )
                if len(parts) >= batch:
                    sheet.write("".join(parts).encode())
                    parts = []
            # The autofilter follows the data (its range is known only now; the schema puts it
            # after sheetData anyway), and the workbook that names it is written after the sheet.
            ref = f"A1:{last}{n + 1}"
            sheet.write(("".join(parts) + f'</sheetData><autoFilter ref="{ref}"/></worksheet>').encode())
        quoted = name.replace("'", "''")
        absolute = f"$A$1:${last}${n + 1}"
        zf.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets>'
            '<definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">'
            f"&apos;{quoted}&apos;!{absolute}</definedName></definedNames></workbook>",
        )
    return n
