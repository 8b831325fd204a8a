from django.db import models
from django.utils.translation import gettext_lazy as _


class EntryScope(models.TextChoices):
    """How a 別表第2 entry qualifies its organization (A5.5)."""

    ALL = "all", _("The whole organization")
    ONLY = "only", _("Only the listed units (…に限る)")
    EXCEPT = "except", _("All but the listed units (…を除く)")
