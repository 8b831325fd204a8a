from django.db import models
from django.utils.translation import gettext_lazy as _


class AcknowledgementStatus(models.TextChoices):
    """Where a person stands with the A9 acknowledgement."""

    CURRENT = "current", _("Acknowledged")
    DUE = "due", _("Due again")
    NEVER = "never", _("Not yet acknowledged")
    NO_SIGN_IN = "no_sign_in", _("No Kengen sign-in")
