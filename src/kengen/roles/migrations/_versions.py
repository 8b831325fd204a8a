"""Triggers that bump a data version (a row of ``roles_scopedataversion``) on every write to the
tables it watches — shared by the migrations that add such tables (0006, 0007). The PostgreSQL
trigger calls ``kengen_data_version_bump(row)`` (migration 0005) once per row, deferred to commit;
SQLite's triggers update the row directly. Not a migration itself: Django's loader skips modules
whose name starts with ``_``."""

from __future__ import annotations

from collections.abc import Iterable


def version_triggers(schema_editor, *, row: int, name: str, tables: Iterable[str], create: bool) -> None:
    """Drop, then (``create``) make the triggers named ``name`` bumping version ``row`` on ``tables``."""
    vendor = schema_editor.connection.vendor
    run = schema_editor.execute
    if vendor == "postgresql":
        for table in tables:
            run(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            if create:
                run(
                    f"CREATE CONSTRAINT TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE "
                    f"ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                    f"EXECUTE FUNCTION kengen_data_version_bump('{int(row)}')"
                )
    elif vendor == "sqlite":
        for table in tables:
            for event in ("INSERT", "UPDATE", "DELETE"):
                trigger = f"{name}_{table}_{event.lower()}"
                run(f"DROP TRIGGER IF EXISTS {trigger}")
                if create:
                    run(
                        f"CREATE TRIGGER {trigger} AFTER {event} ON {table} BEGIN "
                        f"UPDATE roles_scopedataversion SET version = version + 1 WHERE id = {int(row)}; END"
                    )
