"""The HR wave pages: the personnel officer imports, previews and applies; auditors read; other
people are refused; another user's upload is refused on write."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from kengen.hrwave.choices import WaveStatus
from kengen.hrwave.models import ColumnMapping, WaveImport
from kengen.hrwave.tests.conftest import hr_csv, move
from kengen.testing import login

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2024, 10, 15, 1, 0, tzinfo=dt.UTC)


@time_machine.travel(NOW, tick=False)
def test_upload_preview_download_and_apply(client, world, hr):
    login(client, hr)
    data = hr_csv([move(world.people["kazei_clerk"].staff_number, "JINJI")], encoding="cp932")
    response = client.post(
        "/hr/",
        {"file": SimpleUploadedFile("hr.csv", data), "effective_on": "2024-10-01"},
    )
    wave = WaveImport.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/hr/{wave.pk}/"
    page = client.get(f"/hr/{wave.pk}/").content.decode()
    assert "cp932" in page and world.people["kazei_clerk"].full_name in page
    xlsx = client.get(f"/hr/{wave.pk}/preview.xlsx")
    assert xlsx.status_code == 200 and b"".join(xlsx.streaming_content)[:2] == b"PK"
    assert client.get(f"/hr/{wave.pk}/progress/").json()["phase"] == "done"
    response = client.post(f"/hr/{wave.pk}/apply/", {"fingerprint": wave.fingerprint})
    assert response.status_code == 302
    wave.refresh_from_db()
    assert wave.status == WaveStatus.APPLIED


@time_machine.travel(NOW, tick=False)
def test_errors_are_listed_with_row_and_column(client, world, hr):
    login(client, hr)
    client.post(
        "/hr/",
        {"file": SimpleUploadedFile("hr.csv", hr_csv([move("X1", "KAZEI")])), "effective_on": "2024-10-01"},
    )
    wave = WaveImport.objects.get()
    page = client.get(f"/hr/{wave.pk}/").content.decode()
    assert (
        wave.status == WaveStatus.INVALID
        and 'id="errors"' in page
        and "職員番号" in page
        and "Apply" not in page
    )


@time_machine.travel(NOW, tick=False)
def test_others_cannot_import_or_apply(client, world, hr):
    login(client, hr)
    client.post(
        "/hr/",
        {
            "file": SimpleUploadedFile(
                "hr.csv", hr_csv([move(world.people["kazei_clerk"].staff_number, "JINJI")])
            ),
            "effective_on": "2024-10-01",
        },
    )
    wave = WaveImport.objects.get()
    client.logout()
    login(client, world.users["shokuin_head"])
    assert client.get("/hr/").status_code == 403
    assert client.get(f"/hr/{wave.pk}/").status_code == 403
    assert client.post(f"/hr/{wave.pk}/apply/").status_code == 403
    wave.refresh_from_db()
    assert wave.status == WaveStatus.PREVIEWED


@time_machine.travel(NOW, tick=False)
def test_the_mapping_editor_saves_and_edits(client, world, hr):
    login(client, hr)
    page = client.get("/hr/mappings/new/").content.decode()
    assert "職員番号" in page  # the defaults are offered
    fields = {"name": "北見市", "col_staff_number": "職員コード", "col_action": "区分"}
    assert client.post("/hr/mappings/new/", fields).status_code == 302
    mapping = ColumnMapping.objects.get()
    assert mapping.columns == {"staff_number": "職員コード", "action": "区分"}
    response = client.post(
        f"/hr/mappings/{mapping.pk}/", {**fields, "col_action": "区分", "col_staff_number": "区分"}
    )
    assert (
        response.status_code == 200 and "same column" in response.content.decode()
    ) or "同じ" in response.content.decode()
