from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kengen.workflow.choices import WorkflowStatus

#: Form 1 goes through the shared workflow's statuses; registration is its positive decision.
ApplicationStatus = WorkflowStatus


class LineAction(models.TextChoices):
    """別記様式1 is a registration (登録) or cancellation (解除) application."""

    REGISTER = "register", _("Register")
    CANCEL = "cancel", pgettext_lazy("permission line", "Cancel")  # 解除, not キャンセル (leave a form)


class Route(models.TextChoices):
    """Which administrator an application goes to (A5.2, A6.2)."""

    CORE = "core", _("Core system administrator")
    INTERMEDIATE = "intermediate", _("Intermediate server administrator")
    INDIVIDUAL = "individual", _("Individual system administrator")
    TWO_FACTOR = "two_factor", _("Two-factor system administrator")
