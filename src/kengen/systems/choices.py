from django.db import models
from django.utils.translation import gettext_lazy as _


class SystemKind(models.TextChoices):
    """A2.1, A2.9, A2.10: what kind of system this is decides who administers it (A3)."""

    CORE = "core", _("Core package (COKAS-R/ADⅡ)")
    CORE_BUSINESS = "core_business", _("Business system of the core package (別表第1)")
    INDIVIDUAL = "individual", _("Individual system")
    TWO_FACTOR = "two_factor", _("Two-factor authentication system")
    INTERMEDIATE = "intermediate", _("Intermediate server")

    @classmethod
    def central(cls) -> frozenset[str]:
        """Kinds administered by the IT division head (A3.1–A3.3)."""
        return frozenset({cls.CORE, cls.CORE_BUSINESS, cls.TWO_FACTOR, cls.INTERMEDIATE})
