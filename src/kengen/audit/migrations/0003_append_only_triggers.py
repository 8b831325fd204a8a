"""Make the audit table append-only in the database itself: UPDATE and DELETE are refused.

``kengen audit verify`` still detects tampering by anyone who drops these triggers, or who
truncates the table (TRUNCATE is left possible: Django's test flush needs it, and a truncated log
no longer matches the chain head).
"""

from django.db import migrations

# On SQLite the guard is a function Kengen registers on its own connections (kengen.audit.guard);
# any other client (the sqlite3 shell) does not have it, so the trigger fails there too.
SQLITE = [
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_auditevent
       WHEN kengen_audit_guard() = 1
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_auditevent
       WHEN kengen_audit_guard() = 1
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END""",
]
SQLITE_REVERSE = ["DROP TRIGGER audit_event_no_update", "DROP TRIGGER audit_event_no_delete"]

POSTGRES = [
    """CREATE FUNCTION audit_event_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit log is append-only'; END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_auditevent
       FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER audit_event_no_change ON audit_auditevent",
    "DROP FUNCTION audit_event_append_only()",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}),
        )
    ]
