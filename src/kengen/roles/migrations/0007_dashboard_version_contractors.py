"""The dashboard data version (row 4) also counts writes to contractors: the people list, kept per
user under it (issue 10, ``core.kept``), shows a maintenance person's company. The trigger function
is migration 0005's; the triggers are named as migration 0006's."""

from django.db import migrations

from kengen.roles.migrations._versions import version_triggers

ROW = 4
WATCHED = ["contractors_contractor"]


def _triggers(schema_editor, create: bool) -> None:
    version_triggers(schema_editor, row=ROW, name="kengen_dashboard_version", tables=WATCHED, create=create)


def create(apps, schema_editor) -> None:
    _triggers(schema_editor, create=True)


def drop(apps, schema_editor) -> None:
    _triggers(schema_editor, create=False)


class Migration(migrations.Migration):
    dependencies = [
        ("roles", "0006_dashboard_version"),
        ("contractors", "0001_initial"),
    ]

    operations = [migrations.RunPython(create, drop)]
