"""The rows of imports made before ``WaveRow`` existed (one JSON value) become rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("hrwave", "0003_wave_row")]
AFTER = [("hrwave", "0005_remove_waveimport_rows")]


@pytest.mark.django_db(transaction=True)
def test_an_imports_json_rows_become_wave_rows():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    WaveImport = apps.get_model("hrwave", "WaveImport")
    rows = [
        {"row": 2, "staff_number": "S1", "kind": "move", "on": "2025-04-01", "done": False, "person": 1},
        {"row": 3, "staff_number": "S2", "kind": "end", "on": "2024-07-01", "done": True, "person": 2},
    ]
    wave = WaveImport.objects.create(
        file_name="old.csv",
        content_sha256="0" * 64,
        encoding="utf-8",
        effective_on=dt.date(2025, 4, 1),
        status="previewed",
        row_count=2,
        rows=rows,
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    apps = executor.loader.project_state(AFTER).apps
    WaveRow = apps.get_model("hrwave", "WaveRow")
    stored = WaveRow.objects.filter(wave_id=wave.pk).order_by("row_no")
    assert [(r.row_no, r.on, r.data) for r in stored] == [
        (2, dt.date(2025, 4, 1), rows[0]),
        (3, dt.date(2024, 7, 1), rows[1]),
    ]
