from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganizationKind(models.TextChoices):
    """Kinds of unit in a municipal organization (AS, A4)."""

    CITY = "city", _("City")
    DEPARTMENT = "department", _("Department (部)")
    OFFICE = "office", _("Office (室)")
    DIVISION = "division", _("Division (課)")
    SECTION = "section", _("Section (係)")
    GENERAL_BRANCH = "general_branch", _("General branch office (総合支所)")
    BRANCH = "branch", _("Branch office (支所)")
    SUB_BRANCH = "sub_branch", _("Sub-branch office (出張所)")
    SECRETARIAT = "secretariat", _("Secretariat (事務局)")
    FACILITY = "facility", _("Facility (センター等)")


class OrganizationEndReason(models.TextChoices):
    REORGANIZED = "reorganized", _("Reorganized")
    ABOLISHED = "abolished", _("Abolished")
    CORRECTION = "correction", _("Entered in error")
