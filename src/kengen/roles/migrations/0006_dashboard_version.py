"""One more data version in ``ScopeDataVersion`` (row 4): writes to every table the home page's
tiles and charts read (``dashboard``: grants, user IDs, applications, credentials, biometric
enrolments, validity checks, people, systems and the organization), so each user's figures can be
kept in a process and are never used after a write that would change them has committed. The
trigger function is migration 0005's."""

from django.db import migrations

ROW = 4
WATCHED = [
    "applications_application",
    "credentials_credential",
    "grants_account",
    "grants_grant",
    "people_appointment",
    "people_assignment",
    "people_person",
    "reviews_reviewcampaign",
    "reviews_reviewcampaign_systems",
    "reviews_reviewitem",
    "systems_system",
    "systems_systempermission",
    "terminals_biometricenrolment",
    "organizations_organization",
    "organizations_organization_predecessors",
    "organizations_post",
]


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
    if schema_editor.connection.vendor in ("postgresql", "sqlite"):  # else no row: nothing cached
        apps.get_model("roles", "ScopeDataVersion").objects.get_or_create(id=ROW, defaults={"version": 0})
        _triggers(schema_editor, create=True)


def drop(apps, schema_editor) -> None:
    _triggers(schema_editor, create=False)
    apps.get_model("roles", "ScopeDataVersion").objects.filter(id=ROW).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("roles", "0005_acknowledgement_and_inbox_versions"),
        ("applications", "0005_workflow_constraints"),
        ("credentials", "0006_verify_data_version"),
        ("grants", "0005_outsourcing"),
        ("people", "0003_personnel_policy"),
        ("reviews", "0002_item_indexes_within_campaign"),
        ("systems", "0002_user_id_pattern"),
        ("terminals", "0001_initial"),
        ("organizations", "0002_post_unit_kinds"),
    ]

    operations = [migrations.RunPython(create, drop)]
