"""Biometric enrolment for terminal users (A6.4). Kengen never stores biometric data (A2.9): only
where and when the person is to enrol, and when they did."""

from __future__ import annotations

import datetime as dt
from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kengen.core.models import RestrictedQuerySet
from kengen.core.scope import ScopeLike
from kengen.people.models import Person, PersonQuerySet
from kengen.roles.choices import Role


class EnrolmentQuerySet(RestrictedQuerySet):
    def restrict_to_scope(self, scope: ScopeLike, action: str, on: dt.date | None = None) -> Self:
        if Role.TWO_FACTOR_ADMIN in scope.central_roles:
            return self
        if action != "view":
            return self.none()
        if scope.sees_everything:
            return self
        q = Q(person_id=scope.person_id) if scope.person_id else Q(pk__in=[])
        if scope.officer_org_ids:
            q |= Q(person__in=Person.objects.filter(PersonQuerySet.officer_members_q(scope, on)))
        return self.filter(q)

    def pending(self) -> Self:
        return self.filter(completed_at__isnull=True, cancelled_at__isnull=True)


class BiometricEnrolment(models.Model):
    """A terminal user's duty to enrol biometric data at the place the two-factor administrator
    designates, after their terminal application (A6.4)."""

    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("person")
    )
    application = models.ForeignKey(
        "applications.Application",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enrolments",
        verbose_name=_("application"),
    )
    place = models.CharField(_("place"), max_length=200, blank=True)
    appointment_at = models.DateTimeField(_("appointment"), null=True, blank=True)
    completed_at = models.DateTimeField(_("enrolled at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    last_reminded_at = models.DateTimeField(_("last reminded at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = EnrolmentQuerySet.as_manager()

    class Meta:
        ordering = ["completed_at", "appointment_at", "created_at"]
        verbose_name = _("biometric enrolment")
        verbose_name_plural = _("biometric enrolments")
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(completed_at__isnull=True, cancelled_at__isnull=True),
                name="enrolment_one_pending_per_person",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.place}"

    @property
    def is_pending(self) -> bool:
        return self.completed_at is None and self.cancelled_at is None
