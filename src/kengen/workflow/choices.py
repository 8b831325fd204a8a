from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkflowStatus(models.TextChoices):
    """Where an application form stands: draft → submitted → decided (registered or completed,
    depending on the form, or rejected) — or withdrawn by the applicant before a decision."""

    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    REGISTERED = "registered", _("Registered")
    COMPLETED = "completed", _("Completed")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")

    @classmethod
    def open(cls) -> frozenset[str]:
        """Statuses the applicant may still withdraw from."""
        return frozenset({cls.DRAFT, cls.SUBMITTED})

    @classmethod
    def decided(cls) -> frozenset[str]:
        """Statuses the deciding side has put the application in."""
        return frozenset({cls.REGISTERED, cls.COMPLETED, cls.REJECTED})
