from django.db import models
from django.utils.translation import gettext_lazy as _


class LendingStatus(models.TextChoices):
    """A viewing request from asking (A11.1) to lending (A11.2) and return (A11.3)."""

    REQUESTED = "requested", _("Requested")
    LENT = "lent", _("Lent")
    RETURNED = "returned", _("Returned")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")
