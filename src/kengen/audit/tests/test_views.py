import csv
import io

import pytest
from django.urls import reverse

from kengen.audit.choices import AuditAction
from kengen.audit.models import AuditEvent
from kengen.audit.services import audit_record
from kengen.testing import login, user_for

pytestmark = pytest.mark.django_db


def test_audit_log_requires_sign_in(client):
    response = client.get(reverse("audit:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("users:login"))


def test_staff_see_only_their_own_events(world, client):
    clerk = world.users["jinji_clerk"]
    audit_record(actor=clerk, action=AuditAction.EXPORT, target_label="mine")
    audit_record(actor=world.users["kazei_clerk"], action=AuditAction.EXPORT, target_label="not-mine")
    login(client, clerk)
    response = client.get(reverse("audit:list"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "mine" in body and "not-mine" not in body
    assert "verify" not in body.lower() or not response.context["may_verify"]


def test_superuser_sees_everything_and_filters(world, client):
    admin = user_for(None, username="root", is_superuser=True)
    audit_record(actor=world.users["kazei_clerk"], action=AuditAction.EXPORT, target_label="exported-x")
    login(client, admin)
    response = client.get(reverse("audit:list"), {"action": "export"})
    events = list(response.context["page_obj"])
    assert events and all(e.action == "export" for e in events)
    response = client.get(reverse("audit:list"), {"target": "exported-x"})
    assert [e.target_label for e in response.context["page_obj"]] == ["exported-x"]


def test_reversed_date_range_is_an_error(world, client):
    login(client, world.users["jinji_clerk"])
    response = client.get(reverse("audit:list"), {"date_from": "2025-04-02", "date_to": "2025-04-01"})
    assert "kg-error-summary" in response.content.decode()


def test_auditor_verifies_the_chain(world, client):
    admin = user_for(None, username="root", is_superuser=True)
    login(client, admin)
    response = client.post(reverse("audit:verify"))
    assert response.status_code == 200
    assert response.context["result"].ok is True
    assert response.context["result"].checked == AuditEvent.objects.count()


def test_verify_is_refused_to_others(world, client):
    login(client, world.users["jinji_clerk"])
    assert client.post(reverse("audit:verify")).status_code == 403
    assert client.get(reverse("audit:verify")).status_code == 405


def test_audit_csv_export_decodes_and_is_itself_audited(world, client):
    admin = user_for(None, username="root", is_superuser=True)
    login(client, admin)
    before = AuditEvent.objects.count()
    response = client.get(reverse("audit:list"), {"format": "csv", "encoding": "cp932"})
    rows = list(csv.reader(io.StringIO(response.content.decode("cp932"))))
    assert len(rows) == before + 1  # header + every event before the export
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, target_label="audit log").exists()


def test_audit_xlsx_export(world, client):
    from openpyxl import load_workbook

    login(client, world.users["jinji_clerk"])
    response = client.get(reverse("audit:list"), {"format": "xlsx"})
    assert response.status_code == 200
    load_workbook(io.BytesIO(response.content))
