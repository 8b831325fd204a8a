"""People: staff and maintenance staff, their appointments and their assignments."""

from __future__ import annotations

import datetime as dt
from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from kengen.core.models import EffectiveDated, EffectiveQuerySet, RestrictedQuerySet, active_on_q
from kengen.core.scope import ScopeLike
from kengen.people.choices import (
    AppointmentEndReason,
    AssignmentEndReason,
    EmploymentType,
    PersonKind,
)


class PersonQuerySet(RestrictedQuerySet):
    def restrict_to_scope(self, scope: ScopeLike, action: str, on: dt.date | None = None) -> Self:
        """Auditors and central administrators: everyone. Security officers: the people assigned to
        their units (A4). Individual-system administrators: people holding accounts on their
        systems. Everyone: themselves."""
        if action == "record":  # people, appointments, assignments: the personnel records officer
            return self if getattr(scope, "is_personnel", False) else self.none()
        if action != "view":
            return self.filter(self.officer_members_q(scope, on)) if scope.officer_org_ids else self.none()
        if scope.sees_everything or scope.is_central_admin or getattr(scope, "is_personnel", False):
            return self
        q = Q(pk=scope.person_id) if scope.person_id else Q(pk__in=[])
        if scope.officer_org_ids:
            q |= self.officer_members_q(scope, on)
        if scope.administered_system_ids:
            # Through the reverse relation ``accounts`` (grants.Account.person): the people app
            # sits below grants and does not import it.
            q |= Q(
                pk__in=Person.objects.filter(
                    Q(accounts__system_id__in=scope.administered_system_ids)
                    | Q(accounts__system__parent_id__in=scope.administered_system_ids)
                ).values("pk")
            )
        return self.filter(q)

    @staticmethod
    def officer_members_q(scope: ScopeLike, on: dt.date | None = None) -> Q:
        """People assigned to the officer's units today, or on the date being looked at."""
        when = (
            active_on_q(scope.date) | active_on_q(on) if on and on != scope.date else active_on_q(scope.date)
        )
        return Q(
            Exists(
                Assignment.objects.filter(
                    person=OuterRef("pk"), organization_id__in=scope.officer_org_ids
                ).filter(when)
            )
        )


class Person(models.Model):
    """Anyone who can hold a user ID: staff (A2.4) or a contractor's maintenance staff (A2.5)."""

    kind = models.CharField(_("kind"), max_length=20, choices=PersonKind.choices, default=PersonKind.STAFF)
    staff_number = models.CharField(_("staff number"), max_length=20, unique=True, null=True, blank=True)
    family_name = models.CharField(_("family name"), max_length=50)
    given_name = models.CharField(_("given name"), max_length=50)
    family_name_kana = models.CharField(_("family name (kana)"), max_length=100)
    given_name_kana = models.CharField(_("given name (kana)"), max_length=100)
    email = models.EmailField(_("email"), blank=True)
    contractor = models.ForeignKey(
        "contractors.Contractor",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="personnel",
        verbose_name=_("contractor"),
    )

    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = ["family_name_kana", "given_name_kana", "id"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=PersonKind.STAFF, staff_number__isnull=False, contractor__isnull=True)
                | Q(kind=PersonKind.MAINTENANCE, contractor__isnull=False),
                name="person_staff_have_number_maintenance_have_contractor",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.family_name} {self.given_name}"

    @property
    def full_name_kana(self) -> str:
        return f"{self.family_name_kana} {self.given_name_kana}"

    def appointment_on(self, date: dt.date) -> Appointment | None:
        return self.appointments.as_of(date).order_by("-valid_from").first()

    def assignments_on(self, date: dt.date) -> models.QuerySet[Assignment]:
        return self.assignments.as_of(date).select_related("organization", "post")


def _employment_label(value: str) -> str:
    """``get_employment_type_display()`` without building the choices' dictionary on each call (the
    HR wave prints thousands of appointments into the audit log)."""
    try:
        return str(EmploymentType(value).label)
    except ValueError:
        return value


class Appointment(EffectiveDated):
    """A period of employment with one employment type (任用期間).

    Fixed-term types always have an end (``valid_to``, exclusive); a regular appointment is
    open-ended until retirement sets its end.
    """

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="appointments", verbose_name=_("person")
    )
    employment_type = models.CharField(_("employment type"), max_length=20, choices=EmploymentType.choices)
    end_reason = models.CharField(
        _("end reason"), max_length=20, choices=AppointmentEndReason.choices, blank=True
    )

    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("end recorded by"),
    )

    objects = EffectiveQuerySet.as_manager()

    class Meta:
        ordering = ["person", "valid_from"]
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        constraints = [
            EffectiveDated.interval_constraint("appointment_valid_interval"),
            models.CheckConstraint(
                condition=Q(employment_type=EmploymentType.REGULAR) | Q(valid_to__isnull=False),
                name="appointment_fixed_term_has_end",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.person} {_employment_label(self.employment_type)} {self.valid_from}–{self.last_day or ''}"
        )

    @property
    def is_fiscal_year(self) -> bool:
        return self.employment_type in EmploymentType.fiscal_year()


class Assignment(EffectiveDated):
    """A person's place in the organization for a period: a unit and a post (配属)."""

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("person")
    )
    organization = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.PROTECT,
        related_name="assignments",
        verbose_name=_("organization"),
    )
    post = models.ForeignKey(
        "organizations.Post", on_delete=models.PROTECT, related_name="assignments", verbose_name=_("post")
    )
    is_primary = models.BooleanField(
        _("primary assignment"), default=True, help_text=_("Off for a concurrent post (兼務).")
    )
    end_reason = models.CharField(
        _("end reason"), max_length=20, choices=AssignmentEndReason.choices, blank=True
    )

    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("end recorded by"),
    )

    objects = EffectiveQuerySet.as_manager()

    class Meta:
        ordering = ["person", "valid_from"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [EffectiveDated.interval_constraint("assignment_valid_interval")]
        indexes = [models.Index(fields=["organization", "valid_from"], name="assignment_org_from")]

    def __str__(self) -> str:
        return f"{self.person} {self.organization} {self.post}"


class PersonnelPolicy(models.Model):
    """The city's periods for personnel records (one row; Kengen's defaults until a profile or the
    configuration administrator sets them)."""

    network_registration_lead_days = models.PositiveSmallIntegerField(
        _("network registration: days before the appointment"),
        default=31,
        help_text=_(
            "A5.3: a network user registration counts for a fiscal-year appointment when it was filed no "
            "earlier than this many days before the appointment starts (HR files it in March for April)."
        ),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("personnel policy")
        verbose_name_plural = _("personnel policies")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="personnel_policy_single_row"),
            models.CheckConstraint(
                condition=Q(network_registration_lead_days__gte=1, network_registration_lead_days__lte=366),
                name="personnel_policy_lead_days_range",
            ),
        ]

    def __str__(self) -> str:
        return str(self._meta.verbose_name)
