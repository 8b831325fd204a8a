"""Personnel changes entered for a future date (予定されている変更), applied by ``kengen run-due``."""

from __future__ import annotations

import datetime as dt
from typing import Self

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kengen.core.models import RestrictedQuerySet
from kengen.core.scope import ScopeLike
from kengen.personnel.choices import ScheduledStatus


class ScheduledChangeQuerySet(RestrictedQuerySet):
    def restrict_to_scope(self, scope: ScopeLike, action: str, on: dt.date | None = None) -> Self:
        if getattr(scope, "is_personnel", False):
            return self
        if action == "view" and scope.sees_everything:
            return self
        return self.none()


class ScheduledChange(models.Model):
    """A batch of personnel changes (``payload``: a list of ``PersonnelChange.to_payload()``) to apply
    on ``effective_on``, who entered it, and what became of it."""

    effective_on = models.DateField(_("effective on"), db_index=True)
    payload = models.JSONField(_("changes"))
    summary = models.CharField(_("summary"), max_length=500)
    status = models.CharField(
        _("status"), max_length=20, choices=ScheduledStatus.choices, default=ScheduledStatus.SCHEDULED
    )
    person = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="scheduled_changes",
        verbose_name=_("person"),
    )
    created_at = models.DateTimeField(_("entered at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cancelled by"),
    )
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    objects = ScheduledChangeQuerySet.as_manager()

    class Meta:
        ordering = ["effective_on", "id"]
        verbose_name = _("scheduled change")
        verbose_name_plural = _("scheduled changes")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ScheduledStatus.values), name="scheduled_change_status_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.effective_on} {self.summary}"
