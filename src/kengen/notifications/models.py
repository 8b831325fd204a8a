"""Notifications the regulation requires (A5.4, A5.6, A5.8, A8.3 …), kept as records.

Each is shown in the recipient's inbox in Kengen and sent by email after the transaction that
caused it commits. A notification never carries a secret.
"""

from __future__ import annotations

import datetime as dt
from typing import Self

from django.db import models
from django.utils.translation import gettext_lazy as _

from kengen.core.models import RestrictedQuerySet
from kengen.core.scope import ScopeLike
from kengen.notifications.choices import EmailStatus


class NotificationQuerySet(RestrictedQuerySet):
    def restrict_to_scope(self, scope: ScopeLike, action: str, on: dt.date | None = None) -> Self:
        if action == "view" and scope.sees_everything:
            return self
        if scope.person_id:
            return self.filter(recipient_id=scope.person_id)
        return self.none()


class Notification(models.Model):
    """One message to one person: who, under which clause, what, when, and whether it was emailed."""

    recipient = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="notifications", verbose_name=_("recipient")
    )
    clause = models.CharField(_("clause"), max_length=10, blank=True)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("content"))
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    #: When the task it asked for was done (registered, rejected, withdrawn …): read from then on.
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    email_address = models.EmailField(_("email address"), blank=True)
    email_status = models.CharField(
        _("email"), max_length=20, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_inbox")]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.subject}"
