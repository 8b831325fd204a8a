"""The HR wave over the API: upload (multipart), errors, preview totals and lines, Excel, progress,
apply / schedule / cancel / refresh, and the column mappings; with the refusals (401, 403, 404,
409, 422 — never 500)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext as _

from kengen.audit.choices import AuditAction
from kengen.audit.models import AuditEvent
from kengen.grants.models import Grant
from kengen.hrwave.choices import WaveStatus
from kengen.hrwave.models import ColumnMapping, WaveImport
from kengen.hrwave.tests.conftest import hr_csv, move
from kengen.roles.choices import DesignatedRoleKind
from kengen.roles.services import role_designate
from kengen.testing import START, user_for
from kengen.users.services import api_token_create

pytestmark = pytest.mark.django_db
JSON = "application/json"
NOW = dt.datetime(2024, 10, 15, 1, 0, tzinfo=dt.UTC)
BASE = "/api/v1/hr"


def _auth(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=user, name='test').raw}"}


def _auditor():
    user = user_for(None, username="auditor")
    role_designate(actor=None, user=user, role=DesignatedRoleKind.AUDITOR, valid_from=START)
    return user


def _upload(client, auth, data: bytes, on: str = "2024-10-01", name: str = "hr.csv", **extra):
    return client.post(
        f"{BASE}/imports", {"file": SimpleUploadedFile(name, data), "effective_on": on, **extra}, **auth
    )


@pytest.mark.clause("A5.5")
@pytest.mark.clause("A4")
@time_machine.travel(NOW, tick=False)
def test_the_officer_uploads_previews_downloads_and_applies_over_the_api(client, world, grants, hr):
    auth = _auth(hr)
    clerk = world.people["jinji_clerk"]
    data = hr_csv([move(clerk.staff_number, "KAZEI")], encoding="cp932")
    response = _upload(client, auth, data)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["encoding"], body["status"], body["row_count"]) == ("cp932", "previewed", 1)
    assert body["errors"] == [] and body["error_count"] == 0 and body["preview_current"] is True
    assert body["created_by"] == "hr"
    wave_id = body["id"]
    assert client.get(f"{BASE}/imports/{wave_id}", **auth).json()["fingerprint"] == body["fingerprint"]
    (listed,) = client.get(f"{BASE}/imports", **auth).json()["items"]
    assert listed == client.get(f"{BASE}/imports/{wave_id}", **auth).json()
    assert listed["id"] == wave_id and listed["preview_current"] is True

    preview = client.get(f"{BASE}/imports/{wave_id}/preview", **auth).json()
    totals = {t["category"]: t["count"] for t in preview["totals"]}
    assert totals["movers"] == 1 and totals["direct_revocations"] == 1 and totals["form1_flags"] == 1
    assert totals["joiners"] == 0 and all(t["label"] for t in preview["totals"])

    lines = client.get(f"{BASE}/imports/{wave_id}/lines", **auth).json()
    assert lines["count"] == 1
    (line,) = lines["items"]
    assert (line["row"], line["staff_number"], line["action"]) == (2, clerk.staff_number, "move")
    assert line["name"] == clerk.full_name and "課税係" in line["after"] and "人事係" in line["before"]
    assert any("A5.5" in c for c in line["consequences"]) and any("A4" in c for c in line["consequences"])
    assert client.get(f"{BASE}/imports/{wave_id}/lines?show=hire", **auth).json()["count"] == 0
    assert client.get(f"{BASE}/imports/{wave_id}/lines?show=consequences", **auth).json()["count"] == 1
    assert client.get(f"{BASE}/imports/{wave_id}/lines?show=nonsense", **auth).status_code == 422

    xlsx = client.get(f"{BASE}/imports/{wave_id}/preview.xlsx", **auth)
    assert xlsx.status_code == 200 and b"".join(xlsx.streaming_content)[:2] == b"PK"
    assert client.get(f"{BASE}/imports/{wave_id}/progress", **auth).json()["phase"] == "done"

    stale = client.post(f"{BASE}/imports/{wave_id}/apply", {"expected": "0" * 32}, content_type=JSON, **auth)
    assert stale.status_code == 409
    applied = client.post(
        f"{BASE}/imports/{wave_id}/apply", {"expected": body["fingerprint"]}, content_type=JSON, **auth
    )
    assert applied.status_code == 200, applied.content
    result = applied.json()
    assert result["status"] == "applied" and result["result"]["grants_ended"] == 1
    assert Grant.objects.get(pk=grants["direct"].pk).valid_to == dt.date(2024, 10, 1)
    again = client.post(f"{BASE}/imports/{wave_id}/apply", {}, content_type=JSON, **auth)
    assert again.status_code == 200 and again.json()["result"] == result["result"]  # changes nothing


@time_machine.travel(NOW, tick=False)
def test_a_file_with_errors_is_stored_with_every_error_and_never_applied(client, world, hr):
    auth = _auth(hr)
    rows = [move("X1", "KAZEI"), move(world.people["kazei_clerk"].staff_number, "NOWHERE")]
    body = _upload(client, auth, hr_csv(rows)).json()
    assert body["status"] == "invalid" and body["error_count"] == 2
    assert [(e["row"], e["column"]) for e in body["errors"]] == [(2, "職員番号"), (3, "所属コード")]
    assert all(e["message"] for e in body["errors"])
    page = client.get(f"{BASE}/imports/{body['id']}/errors?offset=1&limit=1", **auth).json()
    assert page["count"] == 2 and [e["row"] for e in page["items"]] == [3]
    assert client.get(f"{BASE}/imports/{body['id']}/errors?limit=0", **auth).status_code == 422
    refused = client.post(f"{BASE}/imports/{body['id']}/apply", {}, content_type=JSON, **auth)
    assert refused.status_code == 409 and refused.json()["message"]
    assert (
        client.post(f"{BASE}/imports/{body['id']}/schedule", {}, content_type=JSON, **auth).status_code == 409
    )


@time_machine.travel(NOW, tick=False)
def test_unreadable_and_malformed_uploads_are_refused_with_4xx(client, world, hr, monkeypatch):
    auth = _auth(hr)
    good = hr_csv([move(world.people["kazei_clerk"].staff_number, "JINJI")])
    assert _upload(client, auth, b"").status_code == 422
    assert _upload(client, auth, b"\x00\xff\xfe\x00binary" * 10, name="hr.xls").status_code == 422
    assert _upload(client, auth, b"PK\x03\x04not really a workbook", name="hr.xlsx").status_code == 422
    assert _upload(client, auth, good, on="1700-01-01").status_code == 422
    assert _upload(client, auth, good, on="not a date").status_code == 422
    assert _upload(client, auth, good, mapping="999999").status_code == 422
    assert client.post(f"{BASE}/imports", {"effective_on": "2024-10-01"}, **auth).status_code == 422
    assert client.post(f"{BASE}/imports", {}, content_type=JSON, **auth).status_code in (400, 422)
    monkeypatch.setattr("kengen.hrwave.reader.MAX_BYTES", 10)
    assert _upload(client, auth, good).status_code == 422
    assert not WaveImport.objects.exists()  # nothing stored for a file that could not be read
    monkeypatch.undo()
    formula = hr_csv([[*move(world.people["kazei_clerk"].staff_number, "JINJI")[:10], "=cmd|'/c calc'!A1"]])
    body = _upload(client, auth, formula).json()
    assert body["status"] == "invalid"
    assert body["errors"][0]["column"] == "異動区分"
    assert body["errors"][0]["message"] == _("Looks like a spreadsheet formula; refused.")


@time_machine.travel(NOW, tick=False)
def test_a_future_list_is_scheduled_then_cancelled_and_refreshed_previews_recompute(client, world, hr):
    auth = _auth(hr)
    data = hr_csv([move(world.people["kazei_clerk"].staff_number, "JINJI")])
    wave = _upload(client, auth, data, on="2024-11-01").json()
    url = f"{BASE}/imports/{wave['id']}"
    assert client.post(f"{url}/refresh", **auth).json()["fingerprint"] == wave["fingerprint"]
    now = client.post(f"{url}/apply", {}, content_type=JSON, **auth)
    assert now.status_code == 422 and now.json()["field"] == "effective_on"
    stale = client.post(f"{url}/schedule", {"expected": "x"}, content_type=JSON, **auth)
    assert stale.status_code == 409
    scheduled = client.post(f"{url}/schedule", {"expected": wave["fingerprint"]}, content_type=JSON, **auth)
    assert scheduled.status_code == 200 and scheduled.json()["status"] == "scheduled"
    assert client.post(f"{url}/apply", {}, content_type=JSON, **auth).status_code == 409
    assert client.post(f"{url}/refresh", **auth).status_code == 409
    cancelled = client.post(f"{url}/cancel", **auth)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert client.post(f"{url}/cancel", **auth).status_code == 409
    assert WaveImport.objects.get(pk=wave["id"]).status == WaveStatus.CANCELLED


@time_machine.travel(NOW, tick=False)
def test_column_mappings_are_listed_created_changed_and_deleted(client, world, hr):
    auth = _auth(hr)
    fields = client.get(f"{BASE}/fields", **auth).json()
    assert {"name": "staff_number", "required": True, "default_header": "職員番号"} in fields
    assert client.get(f"{BASE}/mappings", **auth).json()["items"] == []
    columns = {"staff_number": "職員コード", "action": "区分", "organization": "所属"}
    created = client.post(
        f"{BASE}/mappings", {"name": "北見市", "columns": columns}, content_type=JSON, **auth
    )
    assert created.status_code == 201, created.content
    mapping = created.json()
    assert mapping["columns"] == columns
    assert client.get(f"{BASE}/mappings/{mapping['id']}", **auth).json()["name"] == "北見市"
    assert [m["name"] for m in client.get(f"{BASE}/mappings", **auth).json()["items"]] == ["北見市"]
    # refusals: duplicate name, two fields on one column, unknown field, required field missing
    dup = client.post(f"{BASE}/mappings", {"name": "北見市", "columns": columns}, content_type=JSON, **auth)
    assert dup.status_code == 409
    for bad in (
        {"staff_number": "A", "action": "A"},
        {"staff_number": "A", "action": "B", "nickname": "C"},
        {"staff_number": "A"},
    ):
        r = client.post(f"{BASE}/mappings", {"name": "x", "columns": bad}, content_type=JSON, **auth)
        assert r.status_code == 422, bad
    assert (
        client.post(
            f"{BASE}/mappings", {"name": "", "columns": columns}, content_type=JSON, **auth
        ).status_code
        == 422
    )
    changed = client.put(
        f"{BASE}/mappings/{mapping['id']}",
        {"name": "北見市2", "columns": {**columns, "action": "異動"}},
        content_type=JSON,
        **auth,
    )
    assert changed.status_code == 200 and changed.json()["columns"]["action"] == "異動"
    # an upload read with the mapping keeps it: it cannot be deleted
    header = ["職員コード", "所属", "異動"]
    data = hr_csv([[world.people["kazei_clerk"].staff_number, "JINJI", "異動"]], header=header)
    uploaded = _upload(client, auth, data, mapping=str(mapping["id"])).json()
    assert uploaded["status"] == "previewed" and uploaded["mapping"] == mapping["id"], uploaded
    assert client.delete(f"{BASE}/mappings/{mapping['id']}", **auth).status_code == 409
    other = client.post(
        f"{BASE}/mappings", {"name": "予備", "columns": columns}, content_type=JSON, **auth
    ).json()
    assert client.delete(f"{BASE}/mappings/{other['id']}", **auth).status_code == 204
    assert client.get(f"{BASE}/mappings/{other['id']}", **auth).status_code == 404
    assert (
        client.put(
            f"{BASE}/mappings/{other['id']}", {"name": "x", "columns": columns}, content_type=JSON, **auth
        ).status_code
        == 404
    )
    assert not ColumnMapping.objects.filter(pk=other["id"]).exists()
    assert AuditEvent.objects.filter(action=AuditAction.HR_MAPPING_DELETED).count() == 1


@time_machine.travel(NOW, tick=False)
def test_auditors_read_others_are_refused_and_unknown_objects_are_404(client, world, hr):
    data = hr_csv([move(world.people["kazei_clerk"].staff_number, "JINJI")])
    wave = _upload(client, _auth(hr), data).json()
    mapping = ColumnMapping.objects.create(name="m", columns={"staff_number": "A", "action": "B"})
    url = f"{BASE}/imports/{wave['id']}"
    auditor = _auth(_auditor())
    for path in ("", "/preview", "/lines", "/errors", "/progress", "/preview.xlsx"):
        assert client.get(f"{url}{path}", **auditor).status_code == 200, path
    assert client.get(f"{BASE}/mappings/{mapping.pk}", **auditor).status_code == 200
    for path in ("/apply", "/schedule"):
        assert client.post(f"{url}{path}", {}, content_type=JSON, **auditor).status_code == 403
    assert client.post(f"{url}/cancel", **auditor).status_code == 403
    assert _upload(client, auditor, data).status_code == 403
    assert (
        client.post(
            f"{BASE}/mappings",
            {"name": "n", "columns": {"staff_number": "A", "action": "B"}},
            content_type=JSON,
            **auditor,
        ).status_code
        == 403
    )
    assert client.delete(f"{BASE}/mappings/{mapping.pk}", **auditor).status_code == 403
    officer = _auth(world.users["shokuin_head"])  # a security officer: not theirs to see
    for path in (f"{BASE}/imports", url, f"{url}/lines", f"{BASE}/mappings", f"{BASE}/fields"):
        assert client.get(path, **officer).status_code == 403, path
    assert client.post(f"{url}/apply", {}, content_type=JSON, **officer).status_code == 403
    assert client.get(url).status_code == 401
    hr_auth = _auth(hr)
    assert client.get(f"{BASE}/imports/999999", **hr_auth).status_code == 404
    assert client.post(f"{BASE}/imports/999999/apply", {}, content_type=JSON, **hr_auth).status_code == 404
    assert client.get(f"{BASE}/mappings/999999", **hr_auth).status_code == 404
    assert WaveImport.objects.get(pk=wave["id"]).status == WaveStatus.PREVIEWED
