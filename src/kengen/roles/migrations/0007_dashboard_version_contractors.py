"""The dashboard data version (row 4) also counts writes to contractors: the people list, kept per
user under it (issue 10, ``core.kept``), shows a maintenance person's company. The trigger function
is migration 0005's; the triggers are named as migration 0006's."""

from django.db import migrations

ROW = 4
WATCHED = ["contractors_contractor"]


def _triggers(schema_editor, create: bool) -> None:
    vendor = schema_editor.connection.vendor
    run = schema_editor.execute
    if vendor == "postgresql":
        for table in WATCHED:
            run(f"DROP TRIGGER IF EXISTS kengen_dashboard_version ON {table}")
            if create:
                run(
                    f"CREATE CONSTRAINT TRIGGER kengen_dashboard_version AFTER INSERT OR UPDATE OR DELETE "
                    f"ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                    f"EXECUTE FUNCTION kengen_data_version_bump('{ROW}')"
                )
    elif vendor == "sqlite":
        for table in WATCHED:
            for event in ("INSERT", "UPDATE", "DELETE"):
                name = f"kengen_dashboard_version_{table}_{event.lower()}"
                run(f"DROP TRIGGER IF EXISTS {name}")
                if create:
                    run(
                        f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN "
                        f"UPDATE roles_scopedataversion SET version = version + 1 WHERE id = 4; END"  # ROW
                    )


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
