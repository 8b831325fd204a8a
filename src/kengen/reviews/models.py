"""Periodic validity checks of the management file (A5.10, A5.11, A6.5, A6.6).

A *campaign* asks, as of a date, whether every grant on some systems (or every terminal permission
and biometric enrolment) is still right. Each grant in scope is one *item*, decided by the security
officer of the holder's unit (A4) or, for maintenance staff and people without a unit, by the
administrator. Nothing is revoked unless someone decided so: finalizing applies the decisions
through the grant and terminal services; undecided items stay open (never auto-revoked).

*Reconciliation* compares an account list exported by a system with the file as of a date and keeps
each difference as a *finding*, tracked to done or accepted with a reason.
"""

from __future__ import annotations

import datetime as dt
from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from kengen.core.models import RestrictedQuerySet
from kengen.core.scope import ScopeLike
from kengen.reviews.choices import (
    CampaignKind,
    CampaignStatus,
    Decision,
    FindingCategory,
    FindingStatus,
    ItemKind,
    Outcome,
    Route,
)


def _officer_item_q(scope: ScopeLike, prefix: str = "") -> Q:
    return Q(
        **{f"{prefix}route": Route.OFFICER, f"{prefix}organization_id__in": sorted(scope.officer_org_ids)}
    )


class CampaignQuerySet(RestrictedQuerySet):
    def restrict_to_scope(self, scope: ScopeLike, action: str, on: dt.date | None = None) -> Self:
        administered = Exists(
            ReviewCampaign.systems.through.objects.filter(
                reviewcampaign_id=OuterRef("pk"), system_id__in=sorted(scope.administered_system_ids)
            )
        )
        if action != "view":
            return self.filter(administered) if scope.administered_system_ids else self.none()
        if scope.sees_everything:
            return self
        q = Q(pk__in=[])
        if scope.administered_system_ids:
            q |= Q(administered)
        if scope.officer_org_ids:
            q |= Q(Exists(ReviewItem.objects.filter(_officer_item_q(scope), campaign_id=OuterRef("pk"))))
        return self.filter(q)


class ReviewCampaign(models.Model):
    """A periodic validity check (正当性の確認) of the management file as of a date (A5.10, A6.5)."""

    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=20, choices=CampaignKind.choices, default=CampaignKind.SYSTEMS
    )
    systems = models.ManyToManyField("systems.System", related_name="+", verbose_name=_("systems"))
    as_of = models.DateField(_("as of"))
    deadline = models.DateField(_("deadline"))
    remind_days = models.PositiveSmallIntegerField(_("remind days before the deadline"), default=7)
    status = models.CharField(
        _("status"), max_length=20, choices=CampaignStatus.choices, default=CampaignStatus.OPEN
    )
    previous = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("previous campaign"),
    )
    rerun_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reruns",
        verbose_name=_("re-run of"),
    )
    schedule = models.ForeignKey(
        "reviews.ReviewSchedule", on_delete=models.PROTECT, null=True, blank=True, related_name="campaigns"
    )
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reminded_on = models.DateField(_("reminded on"), null=True, blank=True)
    escalated_on = models.DateField(_("escalated on"), null=True, blank=True)
    finalized_at = models.DateTimeField(_("finalized at"), null=True, blank=True)
    finalized_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = CampaignQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("review campaign")
        verbose_name_plural = _("review campaigns")
        constraints = [
            models.CheckConstraint(
                condition=Q(deadline__gte=models.F("as_of")), name="campaign_deadline_after_as_of"
            ),
            models.CheckConstraint(
                condition=~Q(status=CampaignStatus.FINALIZED) | Q(finalized_at__isnull=False),
                name="campaign_finalized_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ItemQuerySet(RestrictedQuerySet):
    def restrict_to_scope(self, scope: ScopeLike, action: str, on: dt.date | None = None) -> Self:
        if scope.sees_everything and action == "view":
            return self
        q = Q(pk__in=[])
        if scope.administered_system_ids:
            q |= Q(system_id__in=sorted(scope.administered_system_ids))
        if scope.officer_org_ids:
            q |= _officer_item_q(scope)
        return self.filter(q)

    def undecided(self) -> Self:
        return self.filter(decision="")


class ReviewItem(models.Model):
    """One grant (or biometric enrolment) to confirm in a campaign, routed to whoever decides it."""

    # Items are only ever read within their campaign: the unique (campaign, grant) index serves
    # the campaign's lookups, and no single-column index is kept on campaign, grant, system, person
    # or unit (each was one more index entry written per item; a campaign writes a million).
    campaign = models.ForeignKey(
        ReviewCampaign, on_delete=models.PROTECT, related_name="items", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ItemKind.choices, default=ItemKind.GRANT)
    # No database constraint on grant, system, person and unit: items are copied from the
    # FK-checked grants table in the same statement, and grants, systems, people and units are
    # never deleted (history is ended, not erased). A deferred FK check per row and column was most
    # of the time of a campaign over hundreds of thousands of grants on PostgreSQL.
    grant = models.ForeignKey(
        "grants.Grant",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    # Enrolment and decider are empty when an item is written: indexed only where set (partial
    # indexes in Meta), so generating a campaign writes no index entry for them.
    enrolment = models.ForeignKey(
        "terminals.BiometricEnrolment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    system = models.ForeignKey(
        "systems.System", on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    person = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    organization = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
        verbose_name=_("unit"),
        help_text=_("The holder's unit today: whose security officer decides (A4)."),
    )
    route = models.CharField(_("decided by"), max_length=20, choices=Route.choices)
    is_new = models.BooleanField(_("new since the last campaign"), default=False)
    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    correct_to = models.DateField(_("corrected end (first day no longer held)"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    escalated = models.BooleanField(_("escalated to the administrator"), default=False)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)

    objects = ItemQuerySet.as_manager()

    class Meta:
        ordering = ["campaign", "person", "id"]
        verbose_name = _("review item")
        verbose_name_plural = _("review items")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "grant"], name="review_item_grant_once"),
            models.UniqueConstraint(
                fields=["campaign", "enrolment"],
                condition=Q(enrolment__isnull=False),
                name="review_item_enrolment_once",
            ),
            models.CheckConstraint(
                condition=Q(decision__in=["", Decision.KEEP]) | ~Q(reason=""),
                name="review_item_change_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(decision=Decision.CORRECT) | Q(correct_to__isnull=False),
                name="review_item_correction_has_date",
            ),
            models.CheckConstraint(
                condition=Q(decision="") | Q(decided_at__isnull=False), name="review_item_decided_has_time"
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "organization", "person"], name="review_item_section"),
            models.Index(fields=["campaign", "decision"], name="review_item_decision"),
            models.Index(
                fields=["enrolment"], condition=Q(enrolment__isnull=False), name="review_item_enrolment"
            ),
            models.Index(
                fields=["decided_by"], condition=Q(decided_by__isnull=False), name="review_item_decided_by"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.pk}"


class EvidenceQuerySet(RestrictedQuerySet):
    def restrict_to_scope(self, scope: ScopeLike, action: str, on: dt.date | None = None) -> Self:
        return self.filter(campaign__in=ReviewCampaign.objects.restrict_to_scope(scope, "view", on))


class ReviewEvidence(models.Model):
    """A scanned, signed paper check sheet attached to a campaign as evidence (A5.10)."""

    campaign = models.ForeignKey(ReviewCampaign, on_delete=models.PROTECT, related_name="evidence")
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    filename = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        ordering = ["campaign", "uploaded_at"]
        verbose_name = _("signed check sheet")

    def __str__(self) -> str:
        return self.filename


class ScheduleQuerySet(RestrictedQuerySet):
    def restrict_to_scope(self, scope: ScopeLike, action: str, on: dt.date | None = None) -> Self:
        if scope.sees_everything and action == "view":
            return self
        if not scope.administered_system_ids:
            return self.none()
        return self.filter(
            Exists(
                ReviewSchedule.systems.through.objects.filter(
                    reviewschedule_id=OuterRef("pk"), system_id__in=sorted(scope.administered_system_ids)
                )
            )
        )


class ReviewSchedule(models.Model):
    """Campaigns opened by ``kengen run-due`` every ``interval_months`` (A5.10: periodically)."""

    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=20, choices=CampaignKind.choices, default=CampaignKind.SYSTEMS
    )
    systems = models.ManyToManyField("systems.System", related_name="+", verbose_name=_("systems"))
    interval_months = models.PositiveSmallIntegerField(_("every (months)"), default=12)
    next_on = models.DateField(_("next campaign on"))
    deadline_days = models.PositiveSmallIntegerField(_("days to decide"), default=30)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScheduleQuerySet.as_manager()

    class Meta:
        ordering = ["next_on", "id"]
        verbose_name = _("review schedule")
        constraints = [
            models.CheckConstraint(condition=Q(interval_months__gte=1), name="schedule_interval_positive"),
            models.CheckConstraint(condition=Q(deadline_days__gte=1), name="schedule_deadline_positive"),
        ]

    def __str__(self) -> str:
        return self.title


class ReconciliationQuerySet(RestrictedQuerySet):
    def restrict_to_scope(self, scope: ScopeLike, action: str, on: dt.date | None = None) -> Self:
        if scope.sees_everything and action == "view":
            return self
        return self.filter(system_id__in=sorted(scope.administered_system_ids))


class Reconciliation(models.Model):
    """An account list exported by a system, compared with the management file as of a date (A5.10)."""

    system = models.ForeignKey("systems.System", on_delete=models.PROTECT, related_name="+")
    as_of = models.DateField(_("as of"))
    unused_days = models.PositiveIntegerField(_("unused for more than (days)"), null=True, blank=True)
    filename = models.CharField(_("file name"), max_length=200)
    row_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ReconciliationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("reconciliation")

    def __str__(self) -> str:
        return f"{self.filename} ({self.as_of})"


class ImportedAccount(models.Model):
    """One row of a system's account export: what the system itself says (last sign-in included)."""

    reconciliation = models.ForeignKey(Reconciliation, on_delete=models.PROTECT, related_name="accounts")
    user_id = models.CharField(max_length=64)
    permissions = models.CharField(max_length=1000, blank=True)
    last_sign_in = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user_id", "reconciliation"], name="imported_account_user")]

    def __str__(self) -> str:
        return self.user_id


class FindingQuerySet(RestrictedQuerySet):
    def restrict_to_scope(self, scope: ScopeLike, action: str, on: dt.date | None = None) -> Self:
        if scope.sees_everything and action == "view":
            return self
        return self.filter(reconciliation__system_id__in=sorted(scope.administered_system_ids))


class Finding(models.Model):
    """One difference between a system and the management file, tracked to done or accepted."""

    reconciliation = models.ForeignKey(Reconciliation, on_delete=models.PROTECT, related_name="findings")
    category = models.CharField(_("category"), max_length=20, choices=FindingCategory.choices)
    user_id = models.CharField(_("user ID"), max_length=64)
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    on_system = models.CharField(_("on the system"), max_length=1000, blank=True)
    in_file = models.CharField(_("in the management file"), max_length=1000, blank=True)
    last_sign_in = models.DateField(_("last sign-in"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=FindingStatus.choices, default=FindingStatus.OPEN
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = FindingQuerySet.as_manager()

    class Meta:
        ordering = ["reconciliation", "category", "user_id", "id"]
        verbose_name = _("reconciliation finding")
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=FindingStatus.ACCEPTED) | ~Q(note=""), name="finding_accepted_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category}: {self.user_id}"
