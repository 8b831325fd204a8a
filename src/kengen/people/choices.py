from django.db import models
from django.utils.translation import gettext_lazy as _


class PersonKind(models.TextChoices):
    STAFF = "staff", _("Staff")
    MAINTENANCE = "maintenance", _("Maintenance staff (contractor)")


class EmploymentType(models.TextChoices):
    """A2.4: the employment type decides several rules (A5.3, A5.5, A7, A8.1)."""

    REGULAR = "regular", _("Regular staff")
    FY_FULL_TIME = "fy_full_time", _("Full-time fiscal-year appointee")
    FY_PART_TIME = "fy_part_time", _("Part-time fiscal-year appointee")
    OTHER_FIXED_TERM = "other_fixed_term", _("Other fixed-term staff")

    @classmethod
    def fiscal_year(cls) -> frozenset[str]:
        """会計年度任用職員 (full-time and part-time)."""
        return frozenset({cls.FY_FULL_TIME, cls.FY_PART_TIME})

    @classmethod
    def fixed_term(cls) -> frozenset[str]:
        """Types whose appointment has a fixed end (A7)."""
        return frozenset({cls.FY_FULL_TIME, cls.FY_PART_TIME, cls.OTHER_FIXED_TERM})


class AppointmentEndReason(models.TextChoices):
    TERM_ENDED = "term_ended", _("End of term")
    RETIRED = "retired", _("Retirement")
    RESIGNED = "resigned", _("Resignation")
    CONVERTED = "converted", _("Change of employment type")
    CORRECTION = "correction", _("Entered in error")


class AssignmentEndReason(models.TextChoices):
    TRANSFER = "transfer", _("Transfer")
    REORGANIZED = "reorganized", _("Reorganization")
    RETIRED = "retired", _("Retirement")
    APPOINTMENT_ENDED = "appointment_ended", _("End of appointment")
    CORRECTION = "correction", _("Entered in error")
