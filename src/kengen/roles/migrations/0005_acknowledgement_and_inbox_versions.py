"""Two more data versions in ``ScopeDataVersion`` (rows 2 and 3), bumped by triggers like the
scope's: the acknowledgements (A9.2: whether a user must acknowledge before going on) and the
notifications (the unread count in the menu). A request reads all versions in one query; what is
cached under a version is never used after a write that would change it has committed."""

from django.db import migrations

#: Row id → the table whose writes bump it (row 1, the scope's, has its own triggers: 0004).
WATCHED = {
    2: "acknowledgements_acknowledgement",
    3: "notifications_notification",
}

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION kengen_data_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    flag text := 'kengen.data_version_bumped_' || TG_ARGV[0];
BEGIN
    -- Deferred to commit; once per transaction and row however many rows it wrote.
    IF current_setting(flag, true) IS DISTINCT FROM txid_current()::text THEN
        PERFORM set_config(flag, txid_current()::text, true);
        UPDATE roles_scopedataversion SET version = version + 1 WHERE id = TG_ARGV[0]::bigint;
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
        for row, table in WATCHED.items():
            run(f"DROP TRIGGER IF EXISTS kengen_data_version ON {table}")
            if create:
                run(
                    f"CREATE CONSTRAINT TRIGGER kengen_data_version AFTER INSERT OR UPDATE OR DELETE "
                    f"ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                    f"EXECUTE FUNCTION kengen_data_version_bump('{row}')"
                )
        if not create:
            run("DROP FUNCTION IF EXISTS kengen_data_version_bump()")
    elif vendor == "sqlite":
        for row, table in WATCHED.items():
            for event in ("INSERT", "UPDATE", "DELETE"):
                name = f"kengen_data_version_{table}_{event.lower()}"
                run(f"DROP TRIGGER IF EXISTS {name}")
                if create:
                    run(
                        f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN "
                        f"UPDATE roles_scopedataversion SET version = version + 1 WHERE id = {row}; END"
                    )


def create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor in ("postgresql", "sqlite"):  # else no rows: nothing cached
        version = apps.get_model("roles", "ScopeDataVersion")
        for row in WATCHED:
            version.objects.get_or_create(id=row, defaults={"version": 0})
        _triggers(schema_editor, create=True)


def drop(apps, schema_editor) -> None:
    _triggers(schema_editor, create=False)
    apps.get_model("roles", "ScopeDataVersion").objects.filter(id__in=list(WATCHED)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("roles", "0004_scope_data_version"),
        ("acknowledgements", "0001_acknowledgement"),
        ("notifications", "0002_notification_resolved_at"),
    ]

    operations = [migrations.RunPython(create, drop)]
