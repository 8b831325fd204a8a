"""Form 1 applications (別記様式1) and the network user registrations A5.3 requires first."""

from __future__ import annotations

import datetime as dt
from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kengen.applications.choices import ApplicationStatus, LineAction, Route
from kengen.core.models import RestrictedQuerySet
from kengen.core.scope import ScopeLike
from kengen.grants.choices import Purpose
from kengen.workflow.models import WorkflowApplication, WorkflowQuerySet


class ApplicationQuerySet(WorkflowQuerySet):
    def applicant_q(self, scope: ScopeLike, action: str) -> Q:
        """The applying unit's security officers (A4) edit, submit, withdraw and read; the
        administrators of the system register or reject once submitted; auditors read."""
        return Q(organization_id__in=scope.officer_unit_ids)


class Application(WorkflowApplication):
    """One Form 1: a security officer's application to one system's administrator to register or
    cancel operation permissions (A5.2) or terminal permissions (A6.2) for people of their unit."""

    number_prefix = ""
    decided_status = ApplicationStatus.REGISTERED

    organization = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("applying unit"),
    )
    system = models.ForeignKey(
        "systems.System",
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("system"),
        help_text=_("The system (for the core package: COKAS-R/ADⅡ) whose administrator receives it."),
    )
    route = models.CharField(_("addressed to"), max_length=20, choices=Route.choices)
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices, default=Purpose.DUTIES)
    purpose_note = models.CharField(_("purpose details"), max_length=300, blank=True)
    purpose_approved_by = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("purpose approved by"),
    )
    purpose_approved_on = models.DateField(_("purpose approved on"), null=True, blank=True)
    applicant = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications_made",
        verbose_name=_("applicant (security officer)"),
    )

    objects = ApplicationQuerySet.as_manager()

    class Meta(WorkflowApplication.Meta):
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [
            *WorkflowApplication.Meta.constraints,
            models.CheckConstraint(
                condition=~Q(purpose=Purpose.OTHER)
                | Q(purpose_approved_by__isnull=False, purpose_approved_on__isnull=False),
                name="application_other_purpose_is_approved",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.system}"


class ApplicationLine(models.Model):
    """One row of the form: a person, a system (a business system for the core package), the
    permissions, register or cancel, and the requested period (``valid_to`` exclusive)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="lines")
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("person")
    )
    system = models.ForeignKey(
        "systems.System", on_delete=models.PROTECT, related_name="+", verbose_name=_("system")
    )
    permissions = models.ManyToManyField(
        "systems.SystemPermission", related_name="+", verbose_name=_("permissions")
    )
    action = models.CharField(_("register / cancel"), max_length=10, choices=LineAction.choices)
    valid_from = models.DateField(_("from"))
    valid_to = models.DateField(_("until (exclusive)"), null=True, blank=True)
    user_id = models.CharField(
        _("user ID"), max_length=64, blank=True, help_text=_("Filled in at registration.")
    )

    class Meta:
        ordering = ["application", "id"]
        verbose_name = _("application line")
        verbose_name_plural = _("application lines")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="application_line_period",
            )
        ]

    def __str__(self) -> str:
        return f"{self.application.number} {self.person} {self.system}"


class NetworkUserRegistrationQuerySet(RestrictedQuerySet):
    def restrict_to_scope(self, scope: ScopeLike, action: str, on: dt.date | None = None) -> Self:
        from kengen.people.models import Person, PersonQuerySet

        if scope.sees_everything and action == "view":
            return self
        if scope.officer_org_ids:
            return self.filter(person__in=Person.objects.filter(PersonQuerySet.officer_members_q(scope, on)))
        return self.none()


class NetworkUserRegistration(models.Model):
    """The network user registration application (利用者情報登録申請書) under the network rules,
    Art. 11(1): it must exist before a fiscal-year appointee is granted on Form 1 (A5.3)."""

    person = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        related_name="network_registrations",
        verbose_name=_("person"),
    )
    filed_on = models.DateField(_("filed on"))
    reference = models.CharField(_("reference"), max_length=100)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = NetworkUserRegistrationQuerySet.as_manager()

    class Meta:
        ordering = ["-filed_on"]
        verbose_name = _("network user registration")
        verbose_name_plural = _("network user registrations")

    def __str__(self) -> str:
        return f"{self.person} {self.reference}"
