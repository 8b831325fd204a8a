from django.db import models
from django.utils.translation import gettext_lazy as _


class ThrottleKind(models.TextChoices):
    """What a ``SignInThrottle`` row counts failures for."""

    USERNAME = "username", _("Sign-in name")
    IP = "ip", _("Source address")
    API_IP = "api_ip", _("Source address (API token)")
    API_TOKEN = "api_token", _("API token (first characters)")
    SYSTEM_KEY = "system_key", _("System API key (first characters)")
    SYSTEM_KEY_IP = "syskey_ip", _("Source address (system API key)")


class SessionEndReason(models.TextChoices):
    """Why Kengen ended a sign-in session (recorded in the audit log)."""

    IDLE = "idle", _("No activity for too long")
    ABSOLUTE = "absolute", _("Signed in for too long")
    DEACTIVATED = "deactivated", _("Account disabled")
    NOT_IN_FORCE = "not_in_force", _("No appointment in force (retired or ended)")
    SIGNED_OUT_ELSEWHERE = "signed_out_elsewhere", _("Signed out from another session")
    SECOND_FACTOR_RESET = "second_factor_reset", _("Second factor reset")
    PASSWORD_CHANGED = "password_changed", _("Sign-in password changed")
    PASSWORD_RESET = "password_reset", _("Sign-in password reset by the configuration administrator")


class SecondFactorState(models.TextChoices):
    """Where a signed-in user stands with the second factor in this session."""

    DONE = "done", _("Passed or not needed")
    VERIFY = "verify", _("Must enter the second factor")
    ENROL = "enrol", _("Must set up a second factor")
