import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from kengen.core.exports import Table, escape_cell, to_csv, to_xlsx


def _table(rows):
    return Table(title="管理ファイル", headers=["氏名", "値"], rows=rows)


@pytest.mark.parametrize("dangerous", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx"])
def test_formula_like_cells_are_escaped(dangerous):
    assert escape_cell(dangerous) == "'" + dangerous


def test_csv_defaults_to_utf8_with_bom_and_escapes_cells():
    body = to_csv(_table([["髙橋 一郎", '=HYPERLINK("x")']]))
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig")
    assert "髙橋 一郎" in text
    assert "'=HYPERLINK" in text


def test_csv_cp932_keeps_cp932_only_characters_and_substitutes_the_rest():
    body = to_csv(_table([["髙﨑①～", "𠮷野"]]), encoding="cp932")
    text = body.decode("cp932")
    assert "髙﨑①～" in text
    assert "〓野" in text


def test_unknown_csv_encoding_is_refused():
    with pytest.raises(ValueError, match="unsupported CSV encoding"):
        to_csv(_table([]), encoding="latin-1")


def test_xlsx_cells_are_never_formulas():
    body = to_xlsx(_table([["=1+1", dt.date(2024, 4, 1)]]))
    ws = load_workbook(io.BytesIO(body)).active
    assert ws["A1"].value == "氏名"
    assert ws["A2"].value == "'=1+1"
    assert ws["A2"].data_type == "s"
    assert ws["B2"].value.date() == dt.date(2024, 4, 1)


# --- streamed exports: the same content, read back -------------------------------------------------


def _rows():
    return [
        ["髙橋 一郎", '=HYPERLINK("x")', dt.date(2024, 4, 1), 42, True, None],
        ["a < b & c > d", " spaced ", dt.datetime(2024, 4, 1, 9, 30, 15), 1.5, False, "制御\x01文字"],
    ]


def test_streamed_csv_is_byte_for_byte_the_built_csv():
    from kengen.core.exports import iter_csv

    for encoding in ("utf-8-sig", "cp932"):
        table = Table(title="t", headers=["氏名", "値", "日", "数", "真偽", "空"], rows=_rows() * 1500)
        streamed = b"".join(iter_csv(table, encoding=encoding, batch=7))
        assert streamed == to_csv(table, encoding=encoding)


def test_streamed_xlsx_reads_back_like_the_openpyxl_one():
    from kengen.core.exports import write_xlsx

    headers = ["氏名", "値", "日", "数", "真偽", "空"]
    clean = [row[:5] for row in _rows()]  # openpyxl refuses control characters outright
    built = load_workbook(
        io.BytesIO(to_xlsx(Table(title="管理ファイル", headers=headers[:5], rows=clean)))
    ).active
    out = io.BytesIO()
    n = write_xlsx(Table(title="管理ファイル", headers=headers, rows=iter(_rows())), out)
    streamed = load_workbook(io.BytesIO(out.getvalue())).active

    assert n == 2
    assert streamed.title == built.title == "管理ファイル"
    assert streamed.freeze_panes == "A2"
    assert streamed["A1"].font.bold
    got = [[c.value for c in row] for row in streamed.iter_rows()]
    assert got[0] == headers
    assert got[1][:5] == ["髙橋 一郎", '\'=HYPERLINK("x")', dt.datetime(2024, 4, 1), 42, 1]
    assert streamed["B2"].data_type == "s"  # never a formula
    assert got[2][0] == "a < b & c > d" and got[2][1] == " spaced "
    assert got[2][2] == dt.datetime(2024, 4, 1, 9, 30, 15)
    assert got[2][5] == "制御文字"  # characters XML cannot hold are dropped, not fatal
    assert [[c.value for c in row] for row in built.iter_rows()] == [row[:5] for row in got]


def test_xlsx_dates_are_dates_shown_in_the_era_with_a_frozen_filtered_header():
    from kengen.core.xlsx import DATE_FORMAT, DATETIME_FORMAT

    body = to_xlsx(_table([["髙橋 一郎", dt.date(2019, 5, 1)], ["佐藤", dt.datetime(2026, 12, 2, 9, 5)]]))
    ws = load_workbook(io.BytesIO(body)).active
    assert ws["B2"].is_date and ws["B2"].value == dt.datetime(2019, 5, 1)
    assert ws["B2"].number_format == DATE_FORMAT == '[$-411]ggge"年"m"月"d"日"'
    assert ws["B3"].is_date and ws["B3"].number_format == DATETIME_FORMAT
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:B3"
    assert ws["A1"].font.bold


def test_xlsx_of_no_rows_still_filters_its_header():
    ws = load_workbook(io.BytesIO(to_xlsx(_table([])))).active
    assert ws.auto_filter.ref == "A1:B1"
    assert [c.value for c in ws[1]] == ["氏名", "値"]


def test_file_names_are_japanese_with_an_ascii_fallback():
    from urllib.parse import unquote

    from kengen.core.exports import content_disposition, export_name

    name = export_name("管理ファイル", dt.date(2026, 12, 2))
    assert name == "管理ファイル_令和8年12月2日"
    header = content_disposition(f"{name}.xlsx", "management-file-2026-12-02.xlsx")
    assert header.startswith('attachment; filename="management-file-2026-12-02.xlsx"; ')
    assert header.isascii()
    assert unquote(header.split("filename*=UTF-8''")[1]) == "管理ファイル_令和8年12月2日.xlsx"
    assert export_name("a/b:c", dt.date(2026, 12, 2)) == "a_b_c_令和8年12月2日"
