"""One more data version in ``ScopeDataVersion`` (row 4): writes to every table the home page's
tiles and charts read (``dashboard``: grants, user IDs, applications, credentials, biometric
enrolments, validity checks, people, systems and the organization), so each user's figures can be
kept in a process and are never used after a write that would change them has committed. The
trigger function is migration 0005's."""

from django.db import migrations

from kengen.roles.migrations._versions import version_triggers

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
    version_triggers(schema_editor, row=ROW, name="kengen_dashboard_version", tables=WATCHED, create=create)


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
