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


# --- read by an auditor who is not an engineer (issue 11) -------------------------------------------


@pytest.fixture
def auditor(world):
    from kengen.roles.services import role_designate
    from kengen.testing import START

    user = user_for(None, username="kansa")
    role_designate(actor=None, user=user, role="auditor", valid_from=START)
    return user


@pytest.fixture
def system_event(world):
    """A system registered by Kengen itself, then its name changed by a person."""
    from kengen.systems.models import System

    system = world.system("HR", "人事給与システム", owner=world.joho)
    audit_record(
        actor=world.users["joho_head"],
        action=AuditAction.SYSTEM_UPDATED,
        target=system,
        old={
            "name": "旧人事システム",
            "kind": "individual",
            "owner": world.jinji.pk,
            "valid_from": "2024-04-01",
        },
        new={
            "name": "人事給与システム",
            "kind": "individual",
            "owner": world.joho.pk,
            "valid_from": "2025-04-01",
        },
    )
    return System.objects.get(pk=system.pk), AuditEvent.objects.filter(
        action=AuditAction.SYSTEM_UPDATED
    ).latest("seq")


def test_auditor_reads_an_event_field_by_field_in_japanese_with_links(auditor, system_event, client):
    system, event = system_event
    login(client, auditor)
    body = client.get(reverse("audit:detail", args=[event.seq])).content.decode()
    assert str(event.get_action_display()) in body and "system.updated" not in body
    assert "高橋 三郎（joho-head）" in body  # the actor as a person
    assert f'href="{reverse("systems:detail", args=[system.pk])}"' in body  # the object, linked
    assert ">システム<" in body  # the kind of object in Japanese, not systems.system
    assert "systems.system" not in body and "{&#x27;" not in body and "{'" not in body
    assert "旧人事システム" in body and "人事給与システム" in body
    assert "令和6年4月1日" in body and "令和7年4月1日" in body  # dates in the era
    assert "2024-04-01" not in body
    assert f'href="{reverse("organizations:detail", args=[world_org(system_event)])}"' in body
    assert "名称" in body or "システム名" in body  # a Japanese field label, not "name"


def world_org(system_event):
    system, _ = system_event
    return system.owner_id


def test_events_by_kengen_itself_name_the_kind_of_processing(auditor, world, client):
    audit_record(actor=None, action=AuditAction.EXPORT, target_label="by-the-system")
    audit_record(
        actor=None, action=AuditAction.EXPORT, target_label="by-the-job", actor_label="kengen run-due"
    )
    login(client, auditor)
    body = client.get(reverse("audit:list")).content.decode()
    assert "Kengen（自動処理）" in body
    assert "定期処理（kengen run-due）" in body
    assert ">system<" not in body


def test_another_persons_event_is_not_found_for_staff(world, system_event, client):
    _, event = system_event
    login(client, world.users["jinji_clerk"])
    assert client.get(reverse("audit:detail", args=[event.seq])).status_code == 404


def test_audit_xlsx_export_says_what_the_detail_page_says(auditor, system_event, client):
    import datetime as dt

    from openpyxl import load_workbook

    _, event = system_event
    login(client, auditor)
    response = client.get(reverse("audit:list"), {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    headers = rows[0]
    assert headers == [
        "番号",
        "発生日時",
        "操作者",
        "操作",
        "対象の種類",
        "対象",
        "申請",
        "変更内容",
        "IPアドレス",
    ]
    (row,) = [r for r in rows[1:] if r[0] == event.seq]
    record = dict(zip(headers, row, strict=True))
    assert record["操作者"] == "高橋 三郎（joho-head）"
    assert record["操作"] == str(event.get_action_display())
    assert record["対象の種類"] == "システム"
    changes = record["変更内容"]
    assert "旧人事システム → 人事給与システム" in changes
    assert "令和6年4月1日 → 令和7年4月1日" in changes
    assert "{" not in changes
    assert isinstance(record["発生日時"], dt.datetime)
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref
