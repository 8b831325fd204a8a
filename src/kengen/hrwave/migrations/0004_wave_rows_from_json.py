"""Data migration: each import's rows, held until now in one JSON value, become ``WaveRow``s."""

import datetime as dt

from django.db import migrations


def forwards(apps, schema_editor):
    WaveImport = apps.get_model("hrwave", "WaveImport")
    WaveRow = apps.get_model("hrwave", "WaveRow")
    for wave in WaveImport.objects.exclude(rows=[]).order_by("pk").iterator(chunk_size=1):
        batch = [
            WaveRow(wave_id=wave.pk, row_no=row["row"], on=dt.date.fromisoformat(row["on"]), data=row)
            for row in wave.rows or []
        ]
        WaveRow.objects.bulk_create(batch, batch_size=5000)


def backwards(apps, schema_editor):
    WaveImport = apps.get_model("hrwave", "WaveImport")
    WaveRow = apps.get_model("hrwave", "WaveRow")
    for wave in WaveImport.objects.order_by("pk").iterator(chunk_size=1):
        rows = list(WaveRow.objects.filter(wave_id=wave.pk).order_by("row_no").values_list("data", flat=True))
        if rows:
            WaveImport.objects.filter(pk=wave.pk).update(rows=rows)


class Migration(migrations.Migration):
    dependencies = [
        ("hrwave", "0003_wave_row"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
