from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """Who acts (requirements.md, "Roles"). All but the designated ones follow posts."""

    SECURITY_OFFICER = "security_officer", _("Security officer")
    CORE_ADMIN = "core_admin", _("Core system administrator")
    TWO_FACTOR_ADMIN = "two_factor_admin", _("Two-factor system administrator")
    INTERMEDIATE_ADMIN = "intermediate_admin", _("Intermediate server administrator")
    SYSTEM_ADMIN = "system_admin", _("Individual system administrator")
    AUDITOR = "auditor", _("Auditor")
    CONFIGURATOR = "configurator", _("Kengen configuration administrator")
    PERSONNEL = "personnel", _("Personnel records officer")


class DesignatedRoleKind(models.TextChoices):
    """Roles given to a person by designation rather than by post."""

    AUDITOR = Role.AUDITOR.value, Role.AUDITOR.label
    CONFIGURATOR = Role.CONFIGURATOR.value, Role.CONFIGURATOR.label
    PERSONNEL = Role.PERSONNEL.value, Role.PERSONNEL.label  # 人事担当: people, appointments, assignments
