"""How a system keeps passwords: its policy (A8.2–A8.7)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kengen.audit.choices import AuditAction
from kengen.audit.services import audit_record
from kengen.core.exceptions import PermissionDenied, RuleViolation
from kengen.core.types import Actor
from kengen.credentials.choices import CredentialMode
from kengen.credentials.models import CredentialPolicy
from kengen.credentials.selectors import POLICY_FIELDS, policy_for
from kengen.credentials.services._common import _user
from kengen.roles.selectors import scope_for
from kengen.systems.models import System


def credential_policy_editable_by(actor: Actor, system: System) -> bool:
    """May ``actor`` change the password policy of ``system``: its administrator or a configurator
    (or Kengen itself, ``actor=None``: profile loading)."""
    if actor is None:
        return True
    scope = scope_for(actor)
    return system.account_system.id in scope.administered_system_ids or scope.is_configurator


def require_credential_policy_editor(actor: Actor, system: System) -> None:
    """Refuse (A3.1) unless ``actor`` may change the password policy of ``system``."""
    if not credential_policy_editable_by(actor, system):
        raise PermissionDenied(
            _("Only the administrator of %(system)s can change its password policy.")
            % {"system": system.account_system.name},
            clause="A3.1",
        )


@transaction.atomic
def credential_policy_set(*, actor: Actor, system: System, **values: Any) -> CredentialPolicy:
    """Configure how a system keeps passwords (A8.2–A8.7): its administrator or a configurator."""
    root = system.account_system
    require_credential_policy_editor(actor, root)
    unknown = set(values) - set(POLICY_FIELDS)
    if unknown:
        raise RuleViolation(_("Unknown setting %(name)s.") % {"name": ", ".join(sorted(unknown))})
    current = policy_for(root)
    merged = {name: values.get(name, getattr(current, name)) for name in POLICY_FIELDS}
    checks = (
        ("mode", merged["mode"] in CredentialMode.values, _("Choose who holds the passwords."), None),
        (
            "min_length",
            8 <= int(merged["min_length"]) <= 64,
            _("The minimum length is between 8 and 64 characters."),
            "A8.6",
        ),
        (
            "max_age_days",
            1 <= int(merged["max_age_days"]) <= 3660,
            _("Passwords must be changed periodically (Art. 8(7)): give a number of days."),
            "A8.7",
        ),
        (
            "reminder_days",
            0 <= int(merged["reminder_days"]) < int(merged["max_age_days"]),
            _("Reminders start fewer days before the deadline than the maximum age."),
            "A8.7",
        ),
        (
            "history_count",
            0 <= int(merged["history_count"]) <= 24,
            _("Remember between 0 and 24 former passwords."),
            "A8.7",
        ),
        (
            "temporary_validity_days",
            1 <= int(merged["temporary_validity_days"]) <= 90,
            _("A temporary password is valid for 1 to 90 days."),
            "A8.4",
        ),
        (
            "min_character_classes",
            0 <= int(merged["min_character_classes"]) <= 4,
            _("Between 0 and 4 character classes."),
            "A8.6",
        ),
        (
            "lockout_threshold",
            1 <= int(merged["lockout_threshold"]) <= 100,
            _("Lock after 1 to 100 wrong passwords."),
            "A8.6",
        ),
    )
    for name, ok, message, clause in checks:
        if not ok:
            raise RuleViolation(message, clause=clause, field=name)
    policy = CredentialPolicy.objects.select_for_update().filter(system=root).first()
    old = {name: getattr(policy, name) for name in POLICY_FIELDS} if policy else None
    policy = policy or CredentialPolicy(system=root)
    for name, value in merged.items():
        setattr(policy, name, value)
    policy.updated_by = _user(actor)
    policy.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREDENTIAL_POLICY_SET,
        target=policy,
        old=old,
        new={name: getattr(policy, name) for name in POLICY_FIELDS},
    )
    return policy
