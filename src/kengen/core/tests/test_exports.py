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
