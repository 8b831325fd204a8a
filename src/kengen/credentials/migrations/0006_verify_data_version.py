"""The verify data version and the triggers that bump it (see
``credentials.models.VerifyDataVersion``)."""

from django.db import migrations, models

#: Each table the verify API caches from, and the columns whose update counts (``None``: all).
#: A key's ``last_used_at`` is written by the verify API itself and changes nothing it caches.
WATCHED = {
    "credentials_systemapikey": ["system_id", "digest", "prefix", "revoked_at"],
    "credentials_credentialpolicy": None,
    "systems_system": None,
}

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION kengen_verify_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Deferred to commit; once per transaction however many rows it wrote.
    IF current_setting('kengen.verify_version_bumped', true) IS DISTINCT FROM txid_current()::text THEN
        PERFORM set_config('kengen.verify_version_bumped', txid_current()::text, true);
        UPDATE credentials_verifydataversion SET version = version + 1 WHERE id = 1;
    END IF;
    RETURN NULL;
END
$$;
"""


def _update_of(columns) -> str:
    return f"UPDATE OF {', '.join(columns)}" if columns else "UPDATE"


def _triggers(schema_editor, create: bool) -> None:
    vendor = schema_editor.connection.vendor
    run = schema_editor.execute
    if vendor == "postgresql":
        if create:
            run(PG_FUNCTION)
        for table, columns in WATCHED.items():
            run(f"DROP TRIGGER IF EXISTS kengen_verify_version ON {table}")
            if create:
                run(
                    f"CREATE CONSTRAINT TRIGGER kengen_verify_version AFTER INSERT OR {_update_of(columns)} "
                    f"OR DELETE ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                    f"EXECUTE FUNCTION kengen_verify_version_bump()"
                )
        if not create:
            run("DROP FUNCTION IF EXISTS kengen_verify_version_bump()")
    elif vendor == "sqlite":
        for table, columns in WATCHED.items():
            for event in ("INSERT", "UPDATE", "DELETE"):
                name = f"kengen_verify_version_{table}_{event.lower()}"
                run(f"DROP TRIGGER IF EXISTS {name}")
                if create:
                    what = _update_of(columns) if event == "UPDATE" else event
                    run(
                        f"CREATE TRIGGER {name} AFTER {what} ON {table} BEGIN "
                        f"UPDATE credentials_verifydataversion SET version = version + 1 WHERE id = 1; END"
                    )
    # Other databases: no triggers and no row, so nothing is cached across requests.


def create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor in ("postgresql", "sqlite"):
        apps.get_model("credentials", "VerifyDataVersion").objects.create(id=1, version=0)
        _triggers(schema_editor, create=True)


def drop(apps, schema_editor) -> None:
    _triggers(schema_editor, create=False)


class Migration(migrations.Migration):
    dependencies = [
        ("credentials", "0005_reveal_link_sealed"),
        ("systems", "0002_user_id_pattern"),
    ]

    operations = [
        migrations.CreateModel(
            name="VerifyDataVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("version", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(create, drop),
    ]
