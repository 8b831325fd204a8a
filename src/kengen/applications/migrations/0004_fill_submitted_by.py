"""Data: who submitted the applications made before the shared workflow recorded it — the
applicant, the only side that could submit them."""

from django.db import migrations
from django.db.models import F


def fill_submitted_by(apps, schema_editor):
    model = apps.get_model("applications", "Application")
    model.objects.filter(submitted_at__isnull=False, submitted_by__isnull=True).update(
        submitted_by=F("applicant")
    )


class Migration(migrations.Migration):
    dependencies = [("applications", "0003_workflow_submitted_by")]

    operations = [migrations.RunPython(fill_submitted_by, migrations.RunPython.noop)]
