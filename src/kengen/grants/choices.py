from django.db import models
from django.utils.translation import gettext_lazy as _


class AccountKind(models.TextChoices):
    PERSONAL = "personal", _("Personal user ID")
    MAINTENANCE = "maintenance", _("Maintenance staff user ID")
    VIEWING = "viewing", _("Viewing user ID (lent to viewers)")


class Purpose(models.TextChoices):
    """A10: the only uses a system may be put to."""

    DUTIES = "duties", _("Own duties")
    TRAINING = "training", _("Training")
    OTHER = "other", _("Other purpose approved by the security officer")


class GrantBasis(models.TextChoices):
    """On what the entry in the management file rests."""

    APPLICATION = "application", _("Application (Form 1)")
    DIRECT = "direct", _("Direct grant by administrator (A5.5)")
    MAINTENANCE = "maintenance", _("Maintenance staff registration (A5.9)")
    VIEWING = "viewing", _("Viewing ID of a section (A11)")
    CORRECTION = "correction", _("Correction after validity check (A5.11)")
    INITIAL_LOAD = "initial_load", _("Initial load of the existing file")


class EndReason(models.TextChoices):
    EXPIRED = "expired", _("Period ended")
    APPOINTMENT_ENDED = "appointment_ended", _("End of appointment (A7)")
    CANCELLED = "cancelled", _("Cancelled on application")
    TRANSFER = "transfer", _("Transfer")
    RETIREMENT = "retirement", _("Retirement")
    BREACH = "breach", _("Breach of Art. 69(1) (A5.7)")
    CORRECTION = "correction", _("Correction (A5.11)")
    ACCOUNT_ENDED = "account_ended", _("User ID ended")
    CONTRACT_ENDED = "contract_ended", _("End of the contract (A5.9, A12)")
