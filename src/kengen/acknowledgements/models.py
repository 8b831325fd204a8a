"""Acknowledgements of the personal-information duties (A9.2)."""

from __future__ import annotations

import datetime as dt
from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kengen.core.models import RestrictedQuerySet
from kengen.core.scope import ScopeLike
from kengen.people.models import Person, PersonQuerySet


class AcknowledgementQuerySet(RestrictedQuerySet):
    def restrict_to_scope(self, scope: ScopeLike, action: str, on: dt.date | None = None) -> Self:
        """Auditors (and the superuser): everyone's. Security officers: those of the people assigned
        to their units (A4). Everyone: their own. Nobody changes them."""

        if action != "view":
            return self.none()
        if scope.sees_everything:
            return self
        q = Q(person_id=scope.person_id) if scope.person_id else Q(pk__in=[])
        if scope.officer_org_ids:
            q |= Q(person__in=Person.objects.filter(PersonQuerySet.officer_members_q(scope, on)))
        return self.filter(q)


class Acknowledgement(models.Model):
    """One person's acknowledgement of the A9 duties: who, when, and which version of the text
    (``kengen.acknowledgements.texts``). Rows are only ever added."""

    person = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        related_name="acknowledgements",
        verbose_name=_("person"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="acknowledgements",
        verbose_name=_("Kengen user"),
    )
    text_version = models.CharField(_("text version"), max_length=20)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), default=timezone.now)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    objects = AcknowledgementQuerySet.as_manager()

    class Meta:
        verbose_name = _("acknowledgement of duties")
        verbose_name_plural = _("acknowledgements of duties")
        ordering = ["-acknowledged_at", "-id"]
        indexes = [models.Index(fields=["person", "acknowledged_at"], name="ack_person_at")]

    def __str__(self) -> str:
        return f"{self.person} {self.text_version} {timezone.localtime(self.acknowledged_at):%Y-%m-%d}"
