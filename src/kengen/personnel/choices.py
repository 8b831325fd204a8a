from django.db import models
from django.utils.translation import gettext_lazy as _


class ChangeKind(models.TextChoices):
    """The personnel changes the personnel records officer (人事担当) enters."""

    HIRE = "hire", _("New hire")
    APPOINTMENT = "appointment", _("Appointment (start or fiscal-year renewal)")
    MOVE = "move", _("Transfer or promotion")
    END = "end", _("End of appointment or retirement")


class ScheduledStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    APPLIED = "applied", _("Applied")
    CANCELLED = "cancelled", _("Cancelled")
    FAILED = "failed", _("Failed")
