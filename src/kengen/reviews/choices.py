from django.db import models
from django.utils.translation import gettext_lazy as _


class CampaignKind(models.TextChoices):
    """What a campaign reviews: grants on systems (A5.10), or terminal permissions and biometric
    enrolments (A6.5)."""

    SYSTEMS = "systems", _("Permissions on systems")
    TERMINALS = "terminals", _("Terminal permissions and biometric enrolments")


class CampaignStatus(models.TextChoices):
    OPEN = "open", _("Open")
    FINALIZED = "finalized", _("Finalized")


class ItemKind(models.TextChoices):
    GRANT = "grant", _("Permission")
    ENROLMENT = "enrolment", _("Biometric enrolment")


class Route(models.TextChoices):
    """Who decides an item: the security officer of the holder's unit (A4) or the administrator."""

    OFFICER = "officer", _("Security officer")
    ADMINISTRATOR = "administrator", _("Administrator")


class Decision(models.TextChoices):
    KEEP = "keep", _("Keep")
    REVOKE = "revoke", _("Revoke")
    CORRECT = "correct", _("Correct the end date")


class Outcome(models.TextChoices):
    """What finalizing did with an item (A5.11)."""

    KEPT = "kept", _("Kept")
    REVOKED = "revoked", _("Revoked")
    CORRECTED = "corrected", _("Corrected")
    ALREADY_ENDED = "already_ended", _("Already ended")
    UNDECIDED = "undecided", _("Left undecided")


class FindingCategory(models.TextChoices):
    ORPHAN = "orphan", _("Account on the system, not in the management file")
    MISSING = "missing", _("In the management file, not on the system")
    MISMATCH = "mismatch", _("Permissions differ")
    LEAVER = "leaver", _("Holder has left or the appointment has ended")
    UNUSED = "unused", _("Unused for a long time")


class FindingStatus(models.TextChoices):
    OPEN = "open", _("Open")
    TASK = "task", _("Correction task for the system administrator")
    DONE = "done", _("Corrected")
    ACCEPTED = "accepted", _("Accepted with a reason")
