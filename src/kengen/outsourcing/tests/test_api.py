"""The outsourcing API: the same rules as the services, with the house's status codes."""

from __future__ import annotations

import pytest

from kengen.outsourcing.choices import ContractStatus
from kengen.outsourcing.models import Contract
from kengen.outsourcing.tests.conftest import period
from kengen.users.services import api_token_create


def _auth(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=user, name='test').raw}"}


@pytest.mark.clause("A12.2")
def test_register_consult_answer_activate_over_the_api(client, out):
    start, end = period()
    officer, head = _auth(out.officer), _auth(out.it_head)
    body = {
        "contractor_id": out.contractor.pk,
        "title": "人事給与システム保守",
        "work": "maintenance",
        "systems": ["JINJI-SYS"],
        "organization_id": out.world.shokuin.pk,
        "valid_from": str(start),
        "valid_to": str(end),
    }
    created = client.post("/api/v1/outsourcing/contracts", body, content_type="application/json", **officer)
    assert created.status_code == 201, created.content
    cid = created.json()["id"]
    assert len(created.json()["checklist"]) == 6
    refused = client.post(f"/api/v1/outsourcing/contracts/{cid}/activate", **officer)
    assert refused.status_code == 422 and refused.json()["clause"] == "A12.2"
    app = client.post(
        "/api/v1/consultations",
        {"contract_id": cid, "reason": "保守委託"},
        content_type="application/json",
        **officer,
    ).json()
    assert client.post(f"/api/v1/consultations/{app['id']}/submit", **officer).status_code == 200
    bad = client.post(
        f"/api/v1/consultations/{app['id']}/complete",
        {"answer": "object"},
        content_type="application/json",
        **head,
    )
    assert bad.status_code == 422 and bad.json()["field"] == "comment"
    ok = client.post(
        f"/api/v1/consultations/{app['id']}/complete",
        {"answer": "agree"},
        content_type="application/json",
        **head,
    )
    assert ok.status_code == 200 and ok.json()["answer"] == "agree"
    active = client.post(f"/api/v1/outsourcing/contracts/{cid}/activate", **officer)
    assert active.status_code == 200 and active.json()["status"] == ContractStatus.ACTIVE


def test_other_sections_get_404_and_only_officers_register(client, out):
    start, end = period()
    body = {
        "contractor_id": out.contractor.pk,
        "title": "x",
        "work": "maintenance",
        "systems": ["JINJI-SYS"],
        "organization_id": out.world.shokuin.pk,
        "valid_from": str(start),
        "valid_to": str(end),
    }
    other = _auth(out.world.users["shiminzei_head"])
    assert (
        client.post(
            "/api/v1/outsourcing/contracts", body, content_type="application/json", **other
        ).status_code
        == 403
    )
    cid = client.post(
        "/api/v1/outsourcing/contracts", body, content_type="application/json", **_auth(out.officer)
    ).json()["id"]
    assert client.get(f"/api/v1/outsourcing/contracts/{cid}", **other).status_code == 404
    assert Contract.objects.count() == 1


@pytest.mark.clause("A12.1")
def test_no_subcontractor_without_permission_over_the_api(client, out):
    from kengen.outsourcing.tests.test_services import _active

    parent = _active(out)
    conf = _auth(out.configurator)
    app = client.post(
        "/api/v1/subcontracting-permissions",
        {"contract_id": parent.pk, "subcontractor_id": out.other.pk, "work_scope": "夜間監視"},
        content_type="application/json",
        **conf,
    ).json()
    assert app["subcontract_id"] is None
    client.post(f"/api/v1/subcontracting-permissions/{app['id']}/submit", **conf)
    assert client.post(f"/api/v1/subcontracting-permissions/{app['id']}/complete", **conf).status_code == 404
    done = client.post(f"/api/v1/subcontracting-permissions/{app['id']}/complete", **_auth(out.officer))
    assert done.status_code == 200 and done.json()["subcontract_id"]


def test_the_configurator_registers_contractors_and_staff_over_the_api(client, out):
    conf = _auth(out.configurator)
    c = client.post(
        "/api/v1/outsourcing/contractors", {"name": "網走システム"}, content_type="application/json", **conf
    )
    assert c.status_code == 201
    staff = client.post(
        f"/api/v1/outsourcing/contractors/{c.json()['id']}/staff",
        {
            "family_name": "保守",
            "given_name": "次郎",
            "family_name_kana": "ホシュ",
            "given_name_kana": "ジロウ",
        },
        content_type="application/json",
        **conf,
    )
    assert staff.status_code == 201 and staff.json()["staff"][0]["name"] == "保守 次郎"
    refused = client.post(
        "/api/v1/outsourcing/contractors",
        {"name": "x"},
        content_type="application/json",
        **_auth(out.officer),
    )
    assert refused.status_code == 403


@pytest.mark.clause("A12.1")
def test_evidence_files_over_the_api_are_checked_and_shown_only_to_who_may_see_them(client, out):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from kengen.audit.models import AuditEvent
    from kengen.outsourcing.services import EVIDENCE_MAX_BYTES

    start, end = period()
    officer = _auth(out.officer)
    created = client.post(
        "/api/v1/outsourcing/contracts",
        {
            "contractor_id": out.contractor.pk,
            "title": "人事給与システム保守",
            "work": "maintenance",
            "systems": ["JINJI-SYS"],
            "organization_id": out.world.shokuin.pk,
            "valid_from": str(start),
            "valid_to": str(end),
        },
        content_type="application/json",
        **officer,
    ).json()
    entry = created["checklist"][0]["id"]
    url = f"/api/v1/outsourcing/checklist/{entry}/files"
    pdf = b"%PDF-1.4\n% confidentiality agreement\n"
    ok = client.post(url, {"file": SimpleUploadedFile("秘密保持契約書.pdf", pdf)}, **officer)
    assert ok.status_code == 201, ok.content
    body = ok.json()
    assert (body["name"], body["size"], body["content_type"]) == (
        "秘密保持契約書.pdf",
        len(pdf),
        "application/pdf",
    )
    fake = client.post(url, {"file": SimpleUploadedFile("x.pdf", b"<script>alert(1)</script>")}, **officer)
    assert fake.status_code == 422 and fake.json()["field"] == "file"
    exe = client.post(url, {"file": SimpleUploadedFile("x.exe", b"MZ\x90\x00")}, **officer)
    assert exe.status_code == 422
    big = client.post(
        url, {"file": SimpleUploadedFile("big.pdf", b"%PDF" + b"0" * EVIDENCE_MAX_BYTES)}, **officer
    )
    assert big.status_code == 422 and big.json()["clause"] == "A12.1"
    download = client.get(f"/api/v1/outsourcing/files/{body['id']}", **officer)
    assert download.status_code == 200 and download.content == pdf
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    other_officer = _auth(out.world.users["shiminzei_head"])
    assert client.get(f"/api/v1/outsourcing/files/{body['id']}", **other_officer).status_code == 404
    assert client.post(url, {"file": SimpleUploadedFile("a.pdf", pdf)}, **other_officer).status_code == 404
    uploaded = AuditEvent.objects.filter(action="contract.evidence_uploaded").values_list("new", flat=True)
    assert [e["sha256"] for e in uploaded] == [body["sha256"]]


@pytest.mark.clause("A12.1")
@pytest.mark.clause("A5.9")
def test_a_contract_is_changed_over_the_api(client, out):
    import datetime as dt

    from django.utils import timezone

    from kengen.audit.choices import AuditAction
    from kengen.audit.models import AuditEvent
    from kengen.outsourcing import services as svc

    start, end = period()
    contract = svc.contract_create(
        actor=out.officer,
        contractor=out.contractor,
        title="人事給与システム保守",
        work="maintenance",
        systems=[out.jinji_system],
        organization=out.world.shokuin,
        valid_from=start,
        valid_to=end,
    )
    url = f"/api/v1/outsourcing/contracts/{contract.pk}"
    json = "application/json"
    other = _auth(out.world.users["shiminzei_head"])
    assert client.patch(url, {"title": "x"}, content_type=json, **other).status_code == 404
    bad = client.patch(url, {"systems": ["NOPE"]}, content_type=json, **_auth(out.officer))
    assert bad.status_code == 404 and bad.json()["field"] == "systems"
    empty = client.patch(url, {"valid_to": str(start)}, content_type=json, **_auth(out.officer))
    assert empty.status_code == 422 and empty.json()["field"] == "valid_to"
    new_end = timezone.localdate() + dt.timedelta(days=90)
    ok = client.patch(
        url,
        {"work": "operation", "systems": ["JINJI-SYS", "CK-TAX"], "valid_to": str(new_end)},
        content_type=json,
        **_auth(out.officer),
    )
    assert ok.status_code == 200, ok.content
    assert ok.json()["work"] == "operation" and sorted(ok.json()["systems"]) == ["CK-TAX", "JINJI-SYS"]
    assert ok.json()["valid_to"] == str(new_end) and ok.json()["status"] == "draft"
    event = AuditEvent.objects.get(action=AuditAction.CONTRACT_UPDATED)
    assert set(event.new) == {"work", "systems", "valid_to"}
