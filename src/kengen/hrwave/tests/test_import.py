"""Reading and validating HR lists: encodings (CP932 with 髙/﨑/①, UTF-8 with and without BOM,
.xlsx), every validation error with its row, column and reason, unsafe files refused, the saved
column mapping, and the command line."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import translation
from openpyxl import Workbook

from kengen.core.exceptions import PermissionDenied, RuleViolation
from kengen.hrwave import reader
from kengen.hrwave.choices import WaveStatus
from kengen.hrwave.models import ColumnMapping, WaveImport
from kengen.hrwave.services import column_mapping_save, wave_import
from kengen.hrwave.tests.conftest import HEADER, D, hire, hr_csv, leave, move
from kengen.people.models import Person

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2024, 10, 15, 1, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English (the catalogue translates them for the UI)."""
    with translation.override("en"):
        yield


def _import(hr, data, **kw):
    return wave_import(actor=hr, data=data, file_name="hr.csv", effective_on=kw.pop("on", D), **kw)


@pytest.mark.clause("A2.4")
@time_machine.travel(NOW, tick=False)
def test_cp932_with_rare_characters_is_detected_and_read_exactly(world, hr):
    data = hr_csv([hire("N0100", "髙﨑", "①子", "KAZEI", "shuji")], encoding="cp932")
    with pytest.raises(UnicodeEncodeError):
        data.decode("cp932").encode("shift_jis")  # plain Shift_JIS could not have read it
    wave = _import(hr, data)
    assert (wave.encoding, wave.status, wave.errors) == ("cp932", WaveStatus.PREVIEWED, [])
    assert wave.rows[0]["new_person"]["family_name"] == "髙﨑"
    assert wave.rows[0]["new_person"]["given_name"] == "①子"


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(("encoding", "detected"), [("utf-8-sig", "utf-8-sig"), ("utf-8", "utf-8")])
def test_utf8_with_and_without_bom_is_detected(world, hr, encoding, detected):
    wave = _import(hr, hr_csv([move(world.people["kazei_clerk"].staff_number, "JINJI")], encoding=encoding))
    assert (wave.encoding, wave.status) == (detected, WaveStatus.PREVIEWED)
    assert wave.rows[0]["organization"] == world.jinji.pk


@time_machine.travel(NOW, tick=False)
def test_an_excel_workbook_is_read_with_its_dates(world, hr):
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append(
        [
            "N0200",
            "新井",
            "春子",
            "アライ",
            "ハルコ",
            "KAZEI",
            "主事",
            "会計年度(パートタイム)",
            dt.date(2025, 3, 31),
            None,
            "採用",
        ]
    )
    buf = io.BytesIO()
    wb.save(buf)
    wave = _import(hr, buf.getvalue())
    assert (wave.encoding, wave.status) == ("xlsx", WaveStatus.PREVIEWED), wave.errors
    assert wave.rows[0]["appointment_to"] == "2025-04-01"  # the last day 3/31, stored exclusive


@time_machine.travel(NOW, tick=False)
def test_a_formula_in_a_workbook_is_refused(world, hr):
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append(
        [
            world.people["kazei_clerk"].staff_number,
            "",
            "",
            "",
            "",
            '=HYPERLINK("http://x","JINJI")',
            "",
            "",
            "",
            "",
            "異動",
        ]
    )
    buf = io.BytesIO()
    wb.save(buf)
    wave = _import(hr, buf.getvalue())
    assert wave.status == WaveStatus.INVALID
    assert [(e["row"], e["column"]) for e in wave.errors] == [(2, "所属コード")]
    assert "formula" in wave.errors[0]["message"]


@time_machine.travel(NOW, tick=False)
def test_every_bad_row_is_reported_with_row_column_and_reason_and_nothing_changes(world, hr):
    kazei = world.people["kazei_clerk"].staff_number
    rows = [
        move(kazei, "NOWHERE"),  # 2 unknown organization
        move(world.people["jinji_clerk"].staff_number, "KAZEI", "bucho"),  # 3 unknown post
        hire(
            "N1", "新井", "春子", "KAZEI", "shuji", "会計年度(パートタイム)", "2024-09-01"
        ),  # 4 ends before it starts
        move(kazei, "JINJI"),  # 5 duplicate staff number
        hire("N2", "𠮷田", "花子", "KAZEI", "shuji"),  # 6 outside CP932
        ["N3", "", "", "", "", "KAZEI", "", "", "", "", "転籍"],  # 7 unknown action
        move("X9999", "KAZEI"),  # 8 no such person
        move(world.people["shiminzei_head"].staff_number, "KAZEI", on="2024/13/40"),  # 9 not a date
        move(world.people["joho_head"].staff_number, "KAZEI", on="2025-01-01"),  # 10 after the wave's date
        hire(
            "N4", "新井", "春子", "KAZEI", "shuji", "会計年度(パートタイム)"
        ),  # 11 fixed term without an end
        ["+N5", "", "", "", "", "KAZEI", "", "", "", "", "異動"],  # 12 formula-looking cell
        hire("N6", "", "春子", "KAZEI", "shuji"),  # 13 required name missing
        hire("N7", "新井", "春子", "KAZEI", "shuji", "嘱託"),  # 14 unknown employment type
        hire(world.people["shokuin_head"].staff_number, "佐藤", "一郎", "KAZEI", "shuji"),  # 15 number taken
    ]
    people = Person.objects.count()
    wave = _import(hr, hr_csv(rows))
    assert wave.status == WaveStatus.INVALID and wave.rows == []
    got = [(e["row"], e["column"]) for e in wave.errors]
    assert got == [
        (2, "所属コード"),
        (3, "職"),
        (4, "任用終了日"),
        (5, "職員番号"),
        (6, "氏"),
        (7, "異動区分"),
        (8, "職員番号"),
        (9, "発令日"),
        (10, "発令日"),
        (11, "任用終了日"),
        (12, "職員番号"),
        (13, "氏"),
        (14, "任用区分"),
        (15, "職員番号"),
    ]
    messages = {e["row"]: e["message"] for e in wave.errors}
    assert "NOWHERE" in messages[2] and "bucho" in messages[3]
    assert "ends before it starts" in messages[4] and "row 2" in messages[5]
    assert "CP932" in messages[6] and "転籍" in messages[7] and "X9999" in messages[8]
    assert "A7" in messages[11] and "formula" in messages[12] and "already registered" in messages[15]
    assert Person.objects.count() == people
    assert not wave.lines.exists()


@time_machine.travel(NOW, tick=False)
def test_a_missing_column_is_reported_on_the_header_row(world, hr):
    wave = _import(hr, hr_csv([["T1"]], header=["職員番号"]))
    assert [(e["row"], e["column"]) for e in wave.errors] == [(1, "異動区分")]


@pytest.mark.clause("A3")
@time_machine.travel(NOW, tick=False)
def test_a_second_head_in_a_unit_is_refused_for_the_whole_file(world, hr):
    wave = _import(hr, hr_csv([move(world.people["kazei_clerk"].staff_number, "JOHO", "kacho")]))
    assert wave.status == WaveStatus.INVALID
    assert wave.errors[0]["column"] == "post" and "head" in wave.errors[0]["message"]


@time_machine.travel(NOW, tick=False)
def test_oversized_and_wrong_type_files_are_refused_before_anything_is_stored(world, hr, monkeypatch):
    monkeypatch.setattr(reader, "MAX_BYTES", 100)
    with pytest.raises(RuleViolation, match="too large"):
        _import(hr, hr_csv([leave("T1")] * 10))
    monkeypatch.undo()
    with pytest.raises(RuleViolation, match="not a CSV"):
        _import(hr, b"%PDF-1.7\x00\x00\x01binary")
    with pytest.raises(RuleViolation, match="Excel"):
        _import(hr, b"PK\x03\x04not really a zip")
    with pytest.raises(RuleViolation, match="neither UTF-8 nor CP932"):
        _import(hr, "職員番号,異動区分\n".encode("cp932") + b"\x81\x7f\xff\xfe\n")
    assert not WaveImport.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_only_the_personnel_officer_imports(world, hr):
    with pytest.raises(PermissionDenied):
        wave_import(actor=world.users["shokuin_head"], data=hr_csv([]), file_name="x.csv", effective_on=D)


@time_machine.travel(NOW, tick=False)
def test_a_saved_mapping_reads_the_citys_own_headers(world, hr):
    columns = {"staff_number": "職員コード", "organization": "配属先", "post": "職名", "action": "区分"}
    mapping = column_mapping_save(actor=hr, name="北見市人事", columns=columns)
    data = hr_csv(
        [[world.people["kazei_clerk"].staff_number, "JINJI", "主事", "異動"]],
        header=["職員コード", "配属先", "職名", "区分"],
    )
    wave = _import(hr, data, mapping=mapping)
    assert wave.status == WaveStatus.PREVIEWED, wave.errors
    assert wave.totals["movers"] == 1
    with pytest.raises(RuleViolation):
        column_mapping_save(actor=hr, name="重複", columns={"staff_number": "A", "action": "A"})
    changed = column_mapping_save(
        actor=hr, name="北見市人事", columns={**columns, "action": "異動種別"}, mapping=mapping
    )
    assert ColumnMapping.objects.get(pk=changed.pk).columns["action"] == "異動種別"


@time_machine.travel(NOW, tick=False)
def test_the_command_line_imports_prints_errors_and_applies(world, hr, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(hr_csv([move("X1", "KAZEI")], encoding="cp932"))
    with pytest.raises(CommandError, match="1 errors"):
        call_command("hr", "import", str(bad), "--effective", D.isoformat(), "--as", "hr")
    out = capsys.readouterr().out
    assert "encoding cp932" in out and "row 2\t職員番号" in out
    good = tmp_path / "good.csv"
    good.write_bytes(hr_csv([move(world.people["kazei_clerk"].staff_number, "JINJI")]))
    call_command("hr", "import", str(good), "--effective", D.isoformat(), "--as", "hr", "--apply")
    captured = capsys.readouterr()
    assert "movers\t1" in captured.out and "applied import" in captured.out
    assert "write" in captured.err  # the progress bar
    assert [a.organization_id for a in world.people["kazei_clerk"].assignments_on(D)] == [world.jinji.pk]


@time_machine.travel(NOW, tick=False)
def test_an_organization_that_ended_before_the_date_is_reported_as_ended_with_its_end_date(world, hr):
    from kengen.organizations.choices import OrganizationEndReason
    from kengen.organizations.services import unit_close
    from kengen.testing import org

    old = org("OLDKA", "旧課税係", "section", world.shiminzei)
    unit_close(old, dt.date(2024, 6, 1), OrganizationEndReason.ABOLISHED)
    kazei = world.people["kazei_clerk"].staff_number
    wave = _import(
        hr, hr_csv([move(kazei, "OLDKA"), move(world.people["jinji_clerk"].staff_number, "NOWHERE")])
    )
    assert wave.status == WaveStatus.INVALID
    assert [(e["row"], e["column"], e["message"]) for e in wave.errors] == [
        (2, "所属コード", "The organization OLDKA ended on 2024-06-01, before 2024-10-01."),
        (3, "所属コード", "Unknown organization NOWHERE."),
    ]
