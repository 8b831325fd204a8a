"""Viewing UI: ask, lend (password shown once), return, the record and its export (A11)."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from kengen.audit.models import AuditEvent
from kengen.credentials.choices import VerifyResult
from kengen.credentials.services import password_verify
from kengen.testing import login
from kengen.viewing.choices import LendingStatus
from kengen.viewing.models import ViewingLending
from kengen.viewing.services import viewing_lend, viewing_request, viewing_return

pytestmark = pytest.mark.django_db


def _ask(w):
    return viewing_request(
        actor=w.users["jinji_clerk"], holder_organization=w.kazei, purpose="扶養控除の確認"
    )


@pytest.mark.parametrize(
    "name,args", [("viewing:list", []), ("viewing:request", []), ("viewing:ids", []), ("viewing:detail", [1])]
)
def test_pages_require_sign_in(client, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302 and response["Location"].startswith(reverse("users:login"))


@pytest.mark.clause("A11.1")
def test_a_viewer_asks_through_the_form(kazei, client):
    login(client, kazei.users["jinji_clerk"])
    page = client.get(reverse("viewing:request")).content.decode()
    assert "課税係" in page
    r = client.post(
        reverse("viewing:request"), {"holder_organization": kazei.kazei.pk, "purpose": "照会のため"}
    )
    lending = ViewingLending.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("viewing:detail", args=[lending.pk])
    login(client, kazei.users["kazei_clerk"])  # same division: refused with the clause
    r = client.post(reverse("viewing:request"), {"holder_organization": kazei.kazei.pk, "purpose": "照会"})
    assert r.status_code == 200 and "[A11.1]" in r.content.decode()


@pytest.mark.clause("A11.2")
@pytest.mark.clause("A11.4")
def test_the_officer_lends_and_sees_the_password_once_then_records_the_return(kazei, client):
    lending = _ask(kazei)
    login(client, kazei.users["shiminzei_head"])
    detail = client.get(reverse("viewing:detail", args=[lending.pk])).content.decode()
    assert "VIEW01" in detail and reverse("viewing:action", args=[lending.pk, "lend"]) in detail
    r = client.post(reverse("viewing:action", args=[lending.pk, "lend"]), {"account": kazei.view1.pk})
    assert r.status_code == 200 and "no-store" in r["Cache-Control"]
    password = r.context["value"]
    assert (
        password_verify(system=kazei.core_system, user_id="VIEW01", password=password).result
        == VerifyResult.VALID
    )
    assert password not in client.get(reverse("viewing:detail", args=[lending.pk])).content.decode()
    client.post(reverse("viewing:action", args=[lending.pk, "return"]))
    lending.refresh_from_db()
    assert lending.status == LendingStatus.RETURNED
    assert (
        password_verify(system=kazei.core_system, user_id="VIEW01", password=password).result
        != VerifyResult.VALID
    )


@pytest.mark.clause("A11.3")
def test_double_lending_is_refused_in_the_ui(kazei, client):
    viewing_lend(actor=kazei.users["shiminzei_head"], lending=_ask(kazei), account=kazei.view1)
    second = _ask(kazei)
    login(client, kazei.users["shiminzei_head"])
    page = client.get(reverse("viewing:detail", args=[second.pk])).content.decode()
    assert f'value="{kazei.view1.pk}"' not in page and f'value="{kazei.view2.pk}"' in page
    r = client.post(reverse("viewing:action", args=[second.pk, "lend"]), {"account": kazei.view1.pk})
    assert r.status_code == 302
    second.refresh_from_db()
    assert second.status == LendingStatus.REQUESTED


@pytest.mark.clause("A4")
def test_other_organizations_get_404(kazei, client):
    lending = _ask(kazei)
    login(client, kazei.users["shokuin_head"])  # officer of the viewer's division, not the holder's
    page = client.get(reverse("viewing:detail", args=[lending.pk]))
    assert page.status_code == 200  # they see their own staff's request (A4) …
    assert reverse("viewing:action", args=[lending.pk, "lend"]) not in page.content.decode()
    r = client.post(reverse("viewing:action", args=[lending.pk, "lend"]), {"account": kazei.view1.pk})
    assert r.status_code == 404  # … but cannot lend: only the holding unit's officer can (A11.2)
    login(client, kazei.users["kazei_clerk"])  # no role, not the viewer
    assert client.get(reverse("viewing:detail", args=[lending.pk])).status_code == 404


@pytest.mark.clause("A11.3")
def test_the_lending_record_exports_to_csv_and_excel(kazei, client):
    lending = _ask(kazei)
    viewing_lend(actor=kazei.users["shiminzei_head"], lending=lending, account=kazei.view1)
    viewing_return(actor=kazei.users["shiminzei_head"], lending=lending)
    login(client, kazei.users["shiminzei_head"])
    r = client.get(reverse("viewing:list"), {"format": "csv"})
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(rows[0]) == 11
    assert rows[1][0] == "田中 花子" and rows[1][1] == "総務部職員課人事係" and rows[1][2] == "VIEW01"
    assert rows[1][6] == "扶養控除の確認" and rows[1][5] and rows[1][7]  # purpose, lent at, returned at
    x = client.get(reverse("viewing:list"), {"format": "xlsx"})
    ws = load_workbook(io.BytesIO(x.content)).active
    assert ws.cell(row=2, column=3).value == "VIEW01"
    assert AuditEvent.objects.filter(action="export", target_label="viewing ID lendings").count() == 2
    login(client, kazei.users["kazei_clerk"])  # no role, not the viewer: nothing to export
    r = client.get(reverse("viewing:list"), {"format": "csv"})
    assert len(list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))) == 1


def test_the_administrator_registers_viewing_ids(kazei, client):
    login(client, kazei.users["joho_head"])
    r = client.post(
        reverse("viewing:ids"),
        {
            "system": kazei.core_system.pk,
            "user_id": "VIEW03",
            "holder_organization": kazei.kazei.pk,
            "permissions": [kazei.tax.permissions.get(code="inquiry").pk],
            "valid_from": "2024-04-01",
        },
    )
    assert r.status_code == 302
    assert "VIEW03" in client.get(reverse("viewing:ids")).content.decode()
    login(client, kazei.users["shiminzei_head"])
    page = client.get(reverse("viewing:ids")).content.decode()
    assert (
        "VIEW03" in page and "Register a viewing user ID" not in page and "閲覧用ユーザIDの登録" not in page
    )


@pytest.mark.clause("A11.4")
def test_registering_a_viewing_id_on_a_system_that_keeps_its_own_passwords_warns_it_cannot_be_lent(
    world, client
):
    core, tax = world.core()  # COKAS keeps its own passwords (the default policy)
    login(client, world.users["joho_head"])
    r = client.post(
        reverse("viewing:ids"),
        {
            "system": core.pk,
            "user_id": "VIEW09",
            "holder_organization": world.kazei.pk,
            "permissions": [tax.permissions.get(code="inquiry").pk],
            "valid_from": "2024-04-01",
        },
        follow=True,
    )
    text = " ".join(str(m) for m in r.context["messages"])
    assert "cannot be lent" in text or "貸し出せません" in text


@pytest.mark.clause("A11.4")
def test_no_warning_when_kengen_holds_the_passwords(kazei, client):
    login(client, kazei.users["joho_head"])
    r = client.post(
        reverse("viewing:ids"),
        {
            "system": kazei.core_system.pk,
            "user_id": "VIEW04",
            "holder_organization": kazei.kazei.pk,
            "permissions": [kazei.tax.permissions.get(code="inquiry").pk],
            "valid_from": "2024-04-01",
        },
        follow=True,
    )
    text = " ".join(str(m) for m in r.context["messages"])
    assert "cannot be lent" not in text and "貸し出せません" not in text
