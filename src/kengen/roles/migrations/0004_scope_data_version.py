"""The scope data version and the triggers that bump it (see ``roles.models.ScopeDataVersion``)."""

from django.db import migrations, models

#: Every table ``roles.selectors.scope_for`` reads.
WATCHED = [
    "roles_designatedrole",
    "people_assignment",
    "organizations_post",
    "organizations_organization",
    "organizations_organization_predecessors",
    "systems_system",
]

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION kengen_scope_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Deferred to commit; once per transaction however many rows it wrote.
    IF current_setting('kengen.scope_version_bumped', true) IS DISTINCT FROM txid_current()::text THEN
        PERFORM set_config('kengen.scope_version_bumped', txid_current()::text, true);
        UPDATE roles_scopedataversion SET version = version + 1 WHERE id = 1;
    END IF;
    RETURN NULL;
END
$$;
"""


def _triggers(schema_editor, create: bool) -> None:
    vendor = schema_editor.connection.vendor
    run = schema_editor.execute
    if vendor == "postgresql":
        if create:
            run(PG_FUNCTION)
        for table in WATCHED:
            run(f"DROP TRIGGER IF EXISTS kengen_scope_version ON {table}")
            if create:
                run(
                    f"CREATE CONSTRAINT TRIGGER kengen_scope_version AFTER INSERT OR UPDATE OR DELETE "
                    f"ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                    f"EXECUTE FUNCTION kengen_scope_version_bump()"
                )
        if not create:
            run("DROP FUNCTION IF EXISTS kengen_scope_version_bump()")
    elif vendor == "sqlite":
        for table in WATCHED:
            for event in ("INSERT", "UPDATE", "DELETE"):
                name = f"kengen_scope_version_{table}_{event.lower()}"
                run(f"DROP TRIGGER IF EXISTS {name}")
                if create:
                    run(
                        f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN "
                        f"UPDATE roles_scopedataversion SET version = version + 1 WHERE id = 1; END"
                    )
    # Other databases: no triggers, and scope_for does not cache across requests (no row 1).


def create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor in ("postgresql", "sqlite"):  # else no row: nothing cached
        apps.get_model("roles", "ScopeDataVersion").objects.create(id=1, version=0)
        _triggers(schema_editor, create=True)


def drop(apps, schema_editor) -> None:
    _triggers(schema_editor, create=False)


class Migration(migrations.Migration):
    dependencies = [
        ("roles", "0003_personnel_role"),
        ("people", "0002_recorded_by"),
        ("organizations", "0001_initial"),
        ("systems", "0002_user_id_pattern"),
    ]

    operations = [
        migrations.CreateModel(
            name="ScopeDataVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("version", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(create, drop),
    ]
