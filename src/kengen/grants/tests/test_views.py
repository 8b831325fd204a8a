import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from kengen.audit.choices import AuditAction
from kengen.audit.models import AuditEvent
from kengen.grants.choices import GrantBasis
from kengen.grants.services import account_create, grant_create
from kengen.testing import START, login

pytestmark = pytest.mark.django_db


@pytest.fixture
def file_world(world):
    """人事給与システム (administered by 情報システム課) with a grant for a clerk of each 課."""
    system = world.system("HR", "人事給与システム", owner=world.joho)
    perm = system.permissions.get(code="inquiry")
    for key, uid in (("jinji_clerk", "JINJI001"), ("kazei_clerk", "KAZEI001")):
        account = account_create(
            actor=None, system=system, user_id=uid, person=world.people[key], valid_from=START
        )
        grant_create(
            actor=None,
            account=account,
            permission=perm,
            valid_from=START,
            basis=GrantBasis.INITIAL_LOAD,
        )
    world.hr = system
    return world


def test_management_file_requires_sign_in(client):
    response = client.get(reverse("grants:file"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("users:login"))


def test_administrator_sees_every_row_of_their_system(file_world, client):
    login(client, file_world.users["joho_head"])
    response = client.get(reverse("grants:file"), {"on": "2024-04-01"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "JINJI001" in body and "KAZEI001" in body
    assert "総務部職員課人事係" in body
    assert "令和6年4月1日" in body
    assert "〜" in body


@pytest.mark.clause("A4")
def test_officer_sees_no_row_of_another_organization(file_world, client):
    login(client, file_world.users["shiminzei_head"])
    response = client.get(reverse("grants:file"))
    body = response.content.decode()
    assert "KAZEI001" in body
    assert "JINJI001" not in body and "田中" not in body


def test_file_filters_by_unit_system_and_staff_number(file_world, client):
    login(client, file_world.users["joho_head"])
    body = client.get(reverse("grants:file"), {"organization": file_world.shokuin.pk}).content.decode()
    assert "JINJI001" in body and "KAZEI001" not in body
    body = client.get(reverse("grants:file"), {"system": file_world.hr.pk}).content.decode()
    assert "JINJI001" in body and "KAZEI001" in body
    number = file_world.people["kazei_clerk"].staff_number
    body = client.get(reverse("grants:file"), {"staff_number": number}).content.decode()
    assert "KAZEI001" in body and "JINJI001" not in body


@pytest.mark.clause("A4")
def test_officer_cannot_filter_on_another_organizations_person(file_world, client):
    login(client, file_world.users["shiminzei_head"])
    number = file_world.people["jinji_clerk"].staff_number
    response = client.get(reverse("grants:file"), {"staff_number": number})
    body = response.content.decode()
    assert "kg-error-summary" in body
    assert "JINJI001" not in body and "KAZEI001" not in body


def test_file_as_of_a_date_before_the_grants_is_empty(file_world, client):
    login(client, file_world.users["joho_head"])
    response = client.get(reverse("grants:file"), {"on": "2024-03-31"})
    assert response.context["rows"] == []


def test_excel_export_opens_and_contains_the_rows_and_is_audited(file_world, client):
    login(client, file_world.users["joho_head"])
    response = client.get(reverse("grants:file"), {"on": "2024-04-01", "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.getvalue())).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    flat = {v for row in values for v in row}
    assert "JINJI001" in flat and "KAZEI001" in flat
    assert len(values) == 3  # header + two rows
    event = AuditEvent.objects.filter(action=AuditAction.EXPORT).latest("seq")
    assert event.actor == file_world.users["joho_head"]
    assert event.target_label == "management file"
    assert event.new["rows"] == 2
    assert event.new["as_of"] == "2024-04-01"
    assert event.new["format"] == "xlsx"


def test_excel_export_has_real_era_dates_a_frozen_filtered_header_and_a_japanese_name(file_world, client):
    import datetime as dt
    from urllib.parse import unquote

    from kengen.core.xlsx import DATE_FORMAT

    login(client, file_world.users["joho_head"])
    response = client.get(reverse("grants:file"), {"on": "2024-04-01", "format": "xlsx"})
    disposition = response["Content-Disposition"]
    assert 'filename="management-file-2024-04-01.xlsx"' in disposition
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "管理ファイル_令和6年4月1日.xlsx"
    sheet = load_workbook(io.BytesIO(response.getvalue())).active
    headers = [c.value for c in sheet[1]]
    col = headers.index("有効期間の開始") + 1 if "有効期間の開始" in headers else None
    start = next(c for c in sheet[2] if isinstance(c.value, dt.datetime))
    assert col is None or start.column == col
    assert start.value == dt.datetime(2024, 4, 1)  # a date, not the text 令和6年4月1日
    assert start.is_date and start.number_format == DATE_FORMAT
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(headers)).column_letter}3"


@pytest.mark.clause("A4")
def test_cp932_csv_decodes_and_holds_only_the_officers_rows(file_world, client):
    login(client, file_world.users["shiminzei_head"])
    response = client.get(reverse("grants:file"), {"format": "csv", "encoding": "cp932"})
    assert response.status_code == 200
    assert "Shift_JIS" in response["Content-Type"]
    text = response.getvalue().decode("cp932")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 2
    assert "KAZEI001" in text and "伊藤" in text
    assert "JINJI001" not in text and "田中" not in text


def test_utf8_csv_has_a_bom(file_world, client):
    login(client, file_world.users["joho_head"])
    response = client.get(reverse("grants:file"), {"format": "csv"})
    assert response.getvalue().startswith(b"\xef\xbb\xbf")


def test_print_view_is_titled_with_the_era_date(file_world, client):
    login(client, file_world.users["joho_head"])
    response = client.get(reverse("grants:file"), {"on": "2024-04-01", "print": "1"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "管理ファイル(令和6年4月1日現在)" in body
    assert "kg-print" in body
    assert "JINJI001" in body


def test_file_pages_by_cursor_links_and_jumps_to_the_last_page(file_world, client, monkeypatch):
    import re

    monkeypatch.setattr("kengen.grants.views.FILE_PER_PAGE", 1)
    login(client, file_world.users["joho_head"])
    first = client.get(reverse("grants:file"), {"on": "2024-04-01"}).content.decode()
    following = (
        re.search(r'href="(\?[^"]*cursor=[^"&]+[^"]*)" rel="next"', first).group(1).replace("&amp;", "&")
    )
    second = client.get(reverse("grants:file") + following).content.decode()
    last = client.get(reverse("grants:file"), {"on": "2024-04-01", "cursor": "last"}).content.decode()

    assert ("JINJI001" in first) != ("KAZEI001" in first)  # one row a page
    assert ("JINJI001" in second) != ("JINJI001" in first)  # the other row, none repeated
    assert ("KAZEI001" in last) == ("KAZEI001" in second)
    assert 'rel="prev"' in second and 'rel="next"' not in second


def test_a_forged_cursor_is_refused_with_a_message_not_followed(file_world, client):
    login(client, file_world.users["joho_head"])
    response = client.get(reverse("grants:file"), {"cursor": "forged"}, follow=True)

    assert "このページへのリンクは、この一覧では使えません。" in response.content.decode()
    assert response.redirect_chain[0][1] == 302


def test_unit_filter_offers_an_officer_only_the_units_of_their_section(file_world, client):
    login(client, file_world.users["shiminzei_head"])
    form = client.get(reverse("grants:file")).context["form"]
    offered = {int(v) for v, _ in form.fields["organization"].choices if v}
    assert file_world.shiminzei.pk in offered
    assert file_world.jinji.pk not in offered and file_world.city.pk not in offered

    login(client, file_world.users["joho_head"])  # administers a system used across the city
    form = client.get(reverse("grants:file")).context["form"]
    offered = {int(v) for v, _ in form.fields["organization"].choices if v}
    assert {file_world.jinji.pk, file_world.shiminzei.pk, file_world.city.pk} <= offered


def test_people_search_offers_an_officer_only_their_units(file_world, client):
    login(client, file_world.users["shiminzei_head"])
    form = client.get(reverse("people:list")).context["form"]
    offered = {int(v) for v, _ in form.fields["unit"].choices if v}
    assert file_world.shiminzei.pk in offered and file_world.jinji.pk not in offered


@pytest.mark.clause("A4")
def test_per_person_view_shows_the_officers_people_by_permission_with_a_check_column(file_world, client):
    login(client, file_world.users["shiminzei_head"])
    response = client.get(reverse("grants:matrix"), {"on": "2024-04-01"})
    assert response.status_code == 200
    body = response.content.decode()
    matrix = response.context["matrix"]
    names = [r.person.full_name for r in matrix.rows]
    assert file_world.people["kazei_clerk"].full_name in names  # 市民税課's clerk
    assert file_world.people["jinji_clerk"].full_name not in names  # not the officer's section
    (row,) = [r for r in matrix.rows if r.person == file_world.people["kazei_clerk"]]
    assert row.user_ids == ["KAZEI001"]
    assert [(c.system, c.permission) for c in matrix.columns if c.key in row.held] == [
        ("人事給与システム", "照会")
    ]
    assert "確認欄" in body and "人事給与システム" in body and "KAZEI001" in body and "JINJI001" not in body
    assert "令和6年4月1日" in body


def test_per_person_view_prints_with_page_numbers(file_world, client):
    login(client, file_world.users["joho_head"])  # administers HR: may pick any unit
    response = client.get(
        reverse("grants:matrix"), {"on": "2024-04-01", "print": "1", "organization": file_world.city.pk}
    )
    body = response.content.decode()
    assert 'class="kg-print"' in body and "印刷者" in body
    assert {r.person.full_name for r in response.context["matrix"].rows} >= {
        file_world.people["kazei_clerk"].full_name,
        file_world.people["jinji_clerk"].full_name,
    }
    from pathlib import Path

    import kengen

    css = (Path(kengen.__file__).parent / "static" / "kengen" / "kengen.css").read_text()
    assert 'counter(page) " / " counter(pages)' in css  # printed page numbers (CSS paged media)


def test_per_person_view_pages_in_the_database(file_world, client):
    from kengen.grants.views import MATRIX_PER_PAGE
    from kengen.testing import staff

    for i in range(MATRIX_PER_PAGE + 1):
        staff(file_world.kazei, family="中村", given=f"職員{i}")
    login(client, file_world.users["shiminzei_head"])
    response = client.get(reverse("grants:matrix"))
    assert len(response.context["matrix"].rows) == MATRIX_PER_PAGE
    assert response.context["page_obj"].paginator.num_pages == 2


def test_management_file_columns_sort_both_ways_in_the_database(file_world, client):
    login(client, file_world.users["joho_head"])
    ids = lambda r: [line["user_id"] for line in r.context["lines"]]  # noqa: E731
    up = client.get(reverse("grants:file"), {"on": "2024-04-01", "sort": "user_id"})
    down = client.get(reverse("grants:file"), {"on": "2024-04-01", "sort": "-user_id"})
    assert ids(up) == ["JINJI001", "KAZEI001"] and ids(down) == ["KAZEI001", "JINJI001"]
    body = up.content.decode()
    assert 'aria-sort="ascending"' in body and "sort=-user_id" in body
    by_name = client.get(reverse("grants:file"), {"on": "2024-04-01", "sort": "name"})
    kana = [file_world.people[k].family_name_kana for k in ("jinji_clerk", "kazei_clerk")]
    assert ids(by_name) == [uid for _, uid in sorted(zip(kana, ["JINJI001", "KAZEI001"], strict=True))]
    # an unknown sort is the file's own order, not an error
    assert client.get(reverse("grants:file"), {"sort": "password"}).status_code == 200
