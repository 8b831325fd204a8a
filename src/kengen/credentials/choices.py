from django.db import models
from django.utils.translation import gettext_lazy as _

from kengen.workflow.choices import WorkflowStatus


class CredentialMode(models.TextChoices):
    """Where the passwords of a system's user IDs are kept (A2.6: the management file)."""

    KENGEN = "kengen", _("Held by Kengen (the system verifies through Kengen's API)")
    SYSTEM = "system", _("Held by the system (Kengen records the events and deadlines)")


class CredentialStatus(models.TextChoices):
    """What state a user ID's password is in today (computed, never stored)."""

    NONE = "none", _("No password yet")
    TEMPORARY = "temporary", _("Temporary password: must be changed at first use")
    ACTIVE = "active", _("In use")
    DUE_SOON = "due_soon", _("Change due soon")
    EXPIRED = "expired", _("Change overdue")
    LOCKED = "locked", _("Locked")


class LockReason(models.TextChoices):
    FAILURES = "failures", _("Too many wrong passwords")
    TEMPORARY_EXPIRED = "temporary_expired", _("Temporary password expired unused")
    NOT_LENT = "not_lent", _("Viewing ID not lent out")


class CredentialEventKind(models.TextChoices):
    """The history of a user ID's password. Never the password itself."""

    TEMPORARY_ISSUED = "temporary_issued", _("Temporary password issued")
    TEMPORARY_REVEALED = "temporary_revealed", _("Temporary password revealed to the security officer")
    TEMPORARY_EXPIRED = "temporary_expired", _("Temporary password expired unused")
    CHANGED = "changed", _("Password changed")
    SET_BY_ADMINISTRATOR = "set_by_administrator", _("Password set by the administrator")
    ROTATED = "rotated", _("Password rotated")
    REMINDED = "reminded", _("Reminder sent")
    DUE = "due", _("Change due")
    LOCKED = "locked", _("Locked")


class RecordedEvent(models.TextChoices):
    """Events an administrator records for a system that holds its own passwords."""

    TEMPORARY_ISSUED = "temporary_issued", _("A temporary password was registered in the system")
    CHANGED = "changed", _("The password was changed in the system")


class VerifyResult(models.TextChoices):
    """What ``POST /api/v1/systems/{code}/verify`` answers."""

    VALID = "valid", _("Valid")
    WRONG = "wrong", _("Wrong user ID or password")
    EXPIRED = "expired", _("Expired: must be changed")
    MUST_CHANGE = "must_change", _("Temporary password: must be changed now")
    LOCKED = "locked", _("Locked")


#: Form 2 goes through the shared workflow's statuses; completion is its positive decision.
PasswordApplicationStatus = WorkflowStatus


class PasswordApplicationKind(models.TextChoices):
    """別記様式2 is for registering or changing a password."""

    REGISTER = "register", _("Registration")
    CHANGE = "change", _("Change")


class ApplicantKind(models.TextChoices):
    """A8.1: the user applies; for a fiscal-year appointee the security officer applies."""

    SELF = "self", _("The user")
    OFFICER = "officer", _("The security officer (fiscal-year appointee)")
