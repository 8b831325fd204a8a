"""Outsourcing (A12) and external services (A13): contracts with contractors and their
subcontractors, the security-measure checklist and its evidence, the responsibility matrix, the
maintenance staff of a contract, the IT division head's consultations and the subcontracting
permissions (both on the shared workflow), and the assessments of external (cloud) services.

Who sees what (``restrict``, deny by default):

- contracts and services: auditors (read), configuration administrators, the IT division head
  (the administrator of the core system, A3.1) and the security officers of the responsible
  section; contracts also the administrators of the systems they cover;
- changing a contract, its checklist and staff list: the security officer of the responsible
  section and the configuration administrator; a service and its assessment: that security
  officer (A13.1) and the configuration administrator.
"""

from __future__ import annotations

import datetime as dt
from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from kengen.core.models import RestrictedQuerySet
from kengen.core.scope import ScopeLike
from kengen.outsourcing.choices import (
    ChecklistItem,
    CheckState,
    ConsultationAnswer,
    ConsultationSubject,
    ContractStatus,
    EvidenceKind,
    ServiceStatus,
    WorkKind,
)
from kengen.workflow.choices import WorkflowStatus
from kengen.workflow.models import WorkflowApplication, WorkflowQuerySet


def _reads_all(scope: ScopeLike) -> bool:
    return scope.sees_everything or scope.is_configurator or scope.is_core_admin


class ContractQuerySet(RestrictedQuerySet):
    def restrict_to_scope(self, scope: ScopeLike, action: str, on: dt.date | None = None) -> Self:
        if action == "view":
            if _reads_all(scope):
                return self
            covered = ContractSystem.objects.filter(system_id__in=scope.administered_system_ids).values(
                "contract_id"
            )
            return self.filter(Q(organization_id__in=scope.officer_org_ids) | Q(pk__in=covered))
        if scope.is_configurator:
            return self
        return self.filter(organization_id__in=scope.officer_org_ids)


class Contract(models.Model):
    """An outsourcing contract (業務委託契約) with a contractor — or, with ``parent``, a
    re-subcontract (再委託) permitted by the security officer (A12.1(1)). ``valid_to`` is the first
    day after the contract; maintenance staff IDs and permissions end by then at the latest (A5.9)."""

    contractor = models.ForeignKey(
        "contractors.Contractor",
        on_delete=models.PROTECT,
        related_name="contracts",
        verbose_name=_("contractor"),
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subcontracts",
        verbose_name=_("subcontract of"),
    )
    title = models.CharField(_("title"), max_length=200)
    work = models.CharField(_("kind of work"), max_length=20, choices=WorkKind.choices)
    systems = models.ManyToManyField(
        "systems.System", through="ContractSystem", related_name="contracts", verbose_name=_("systems")
    )
    organization = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("responsible section"),
    )
    valid_from = models.DateField(_("from"))
    valid_to = models.DateField(_("until (exclusive)"))
    status = models.CharField(
        _("status"), max_length=10, choices=ContractStatus.choices, default=ContractStatus.DRAFT
    )
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    end_note = models.CharField(_("reason for ending"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)

    objects = ContractQuerySet.as_manager()

    class Meta:
        ordering = ["-valid_from", "title", "id"]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__gt=F("valid_from")), name="contract_period_not_empty"
            ),
            models.CheckConstraint(
                condition=~Q(status=ContractStatus.ACTIVE) | Q(activated_at__isnull=False),
                name="contract_active_has_activation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title}（{self.contractor.name}）"

    @property
    def last_day(self) -> dt.date:
        return self.valid_to - dt.timedelta(days=1)

    @property
    def end(self) -> dt.date:
        """The first day the contract no longer holds (ended early or at its period's end)."""
        return min(self.valid_to, self.ended_on) if self.ended_on else self.valid_to


class ContractSystem(models.Model):
    """A system a contract covers."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="+")
    system = models.ForeignKey("systems.System", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("contract system")
        constraints = [models.UniqueConstraint(fields=["contract", "system"], name="contract_system_once")]

    def __str__(self) -> str:
        return f"{self.contract_id}:{self.system_id}"


class ChecklistEntryQuerySet(RestrictedQuerySet):
    def restrict_to_scope(self, scope: ScopeLike, action: str, on: dt.date | None = None) -> Self:
        return self.filter(contract__in=Contract.objects.all().restrict_to_scope(scope, action, on))


class ChecklistEntry(models.Model):
    """One security measure required of a contractor (A12.1(2)): whether it is confirmed, the
    evidence, and when it is reviewed next."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="checklist")
    item = models.CharField(_("security measure"), max_length=30, choices=ChecklistItem.choices)
    state = models.CharField(
        _("state"), max_length=20, choices=CheckState.choices, default=CheckState.PENDING
    )
    note = models.TextField(_("note"), blank=True)
    review_on = models.DateField(_("next review"), null=True, blank=True)
    review_reminded_for = models.DateField(null=True, blank=True, editable=False)
    confirmed_by = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    objects = ChecklistEntryQuerySet.as_manager()

    class Meta:
        ordering = ["contract", "id"]
        verbose_name = _("checklist entry")
        verbose_name_plural = _("checklist entries")
        constraints = [models.UniqueConstraint(fields=["contract", "item"], name="checklist_item_once")]

    def __str__(self) -> str:
        return f"{self.contract_id}:{self.item}"


class Responsibility(models.Model):
    """A12.1(3): with several contractors on one system, who does what, who is the contact, and
    how they coordinate."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="responsibilities")
    system = models.ForeignKey("systems.System", on_delete=models.PROTECT, related_name="+")
    duties = models.TextField(_("scope and responsibility"))
    contact = models.CharField(_("contact"), max_length=200)
    coordination = models.TextField(_("coordination"), blank=True)

    class Meta:
        ordering = ["system", "contract"]
        verbose_name = _("responsibility")
        verbose_name_plural = _("responsibilities")
        constraints = [
            models.UniqueConstraint(fields=["contract", "system"], name="responsibility_once_per_system")
        ]

    def __str__(self) -> str:
        return f"{self.system_id}:{self.contract_id}"


class ContractStaff(models.Model):
    """A maintenance staff member (A2.5) working under a contract; their user IDs and permissions
    end with the contract at the latest (A5.9)."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="staff")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="contract_roles")
    valid_from = models.DateField(_("from"))
    valid_to = models.DateField(_("until (exclusive)"))
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["contract", "person__family_name_kana", "id"]
        verbose_name = _("contract staff member")
        verbose_name_plural = _("contract staff")
        constraints = [
            models.CheckConstraint(condition=Q(valid_to__gt=F("valid_from")), name="contract_staff_period"),
            models.UniqueConstraint(fields=["contract", "person"], name="contract_staff_once"),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id}:{self.person_id}"


# --- the workflow forms ------------------------------------------------------------------------


class ConsultationQuerySet(WorkflowQuerySet):
    def applicant_q(self, scope: ScopeLike, action: str) -> Q:
        """The security officer of the responsible section drafts and submits; the configuration
        administrator reads."""
        q = Q(organization_id__in=scope.officer_org_ids)
        if action != "change" and scope.is_configurator:
            return Q()
        return q

    def decider_q(self, scope: ScopeLike) -> Q | None:
        """The IT division head (the administrator of the core system, A3.1) answers."""
        return ~Q(status=WorkflowStatus.DRAFT) if scope.is_core_admin else None


class Consultation(WorkflowApplication):
    """A consultation with the IT division head before a new outsourcing (A12.2) or the first use
    of an external service (A13.2). The answer is agree, agree with conditions, or object; a
    contract or a service is put into use only after an answer that is not an objection."""

    number_prefix = "C"
    decided_status = WorkflowStatus.COMPLETED
    submit_label = _("Consult the IT division head")
    submit_confirm = _("Send this consultation to the IT division head? You cannot edit it afterwards.")
    submitted_message = _("The consultation was sent to the IT division head.")

    subject = models.CharField(_("subject"), max_length=20, choices=ConsultationSubject.choices)
    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, null=True, blank=True, related_name="consultations"
    )
    service = models.ForeignKey(
        "ExternalService", on_delete=models.PROTECT, null=True, blank=True, related_name="consultations"
    )
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("section")
    )
    answer = models.CharField(_("answer"), max_length=20, choices=ConsultationAnswer.choices, blank=True)
    answer_comment = models.TextField(_("comments and conditions"), blank=True)

    objects = ConsultationQuerySet.as_manager()

    class Meta(WorkflowApplication.Meta):
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        constraints = [
            *WorkflowApplication.Meta.constraints,
            models.CheckConstraint(
                condition=Q(
                    subject=ConsultationSubject.OUTSOURCING, contract__isnull=False, service__isnull=True
                )
                | Q(
                    subject=ConsultationSubject.EXTERNAL_SERVICE, contract__isnull=True, service__isnull=False
                ),
                name="consultation_is_about_one_thing",
            ),
            models.CheckConstraint(
                condition=~Q(status=WorkflowStatus.COMPLETED) | ~Q(answer=""),
                name="consultation_completed_has_answer",
            ),
        ]

    @property
    def about(self) -> str:
        return str(self.contract) if self.contract_id else str(self.service)

    @property
    def agreed(self) -> bool:
        return self.status == WorkflowStatus.COMPLETED and self.answer in (
            ConsultationAnswer.AGREE,
            ConsultationAnswer.AGREE_WITH_CONDITIONS,
        )


class SubcontractPermissionQuerySet(WorkflowQuerySet):
    def applicant_q(self, scope: ScopeLike, action: str) -> Q:
        """The configuration administrator or an administrator of a system the contract covers
        applies; the responsible section's security officer decides (and reads)."""
        if scope.is_configurator:
            return Q()
        covered = ContractSystem.objects.filter(system_id__in=scope.administered_system_ids).values(
            "contract_id"
        )
        q = Q(contract_id__in=covered)
        if action != "change":
            q |= Q(organization_id__in=scope.officer_org_ids)
        return q

    def decider_q(self, scope: ScopeLike) -> Q | None:
        if not scope.officer_org_ids:
            return None
        return Q(organization_id__in=scope.officer_org_ids) & ~Q(status=WorkflowStatus.DRAFT)


class SubcontractPermission(WorkflowApplication):
    """The security officer's recorded permission for a contractor to re-subcontract (A12.1(1)).
    Permitting it registers the subcontract, which must meet the same security measures."""

    number_prefix = "S"
    decided_status = WorkflowStatus.COMPLETED
    submit_label = _("Ask the security officer for permission")
    submit_confirm = _(
        "Ask the security officer of the responsible section for this permission? You cannot edit it afterwards."
    )
    submitted_message = _("The application was sent to the security officer of the responsible section.")

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="subcontract_permissions")
    subcontractor = models.ForeignKey(
        "contractors.Contractor", on_delete=models.PROTECT, related_name="+", verbose_name=_("subcontractor")
    )
    work_scope = models.TextField(_("work to be subcontracted"))
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("section")
    )
    subcontract = models.OneToOneField(
        Contract, on_delete=models.PROTECT, null=True, blank=True, related_name="permission"
    )

    objects = SubcontractPermissionQuerySet.as_manager()

    class Meta(WorkflowApplication.Meta):
        verbose_name = _("subcontracting permission")
        verbose_name_plural = _("subcontracting permissions")
        constraints = [
            *WorkflowApplication.Meta.constraints,
            models.CheckConstraint(
                condition=~Q(status=WorkflowStatus.COMPLETED) | Q(subcontract__isnull=False),
                name="subcontractpermission_completed_has_subcontract",
            ),
        ]


# --- external services (A13) -------------------------------------------------------------------


class ServiceQuerySet(RestrictedQuerySet):
    def restrict_to_scope(self, scope: ScopeLike, action: str, on: dt.date | None = None) -> Self:
        if action == "view" and _reads_all(scope):
            return self
        if action != "view" and scope.is_configurator:
            return self
        return self.filter(organization_id__in=scope.officer_org_ids)


class ExternalService(models.Model):
    """An external (cloud) service the city uses or plans to use (A13), with its re-assessment
    schedule."""

    name = models.CharField(_("service"), max_length=200)
    provider = models.CharField(_("provider"), max_length=200)
    purpose = models.TextField(_("what it is used for"), blank=True)
    organization = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("responsible section"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ServiceStatus.choices, default=ServiceStatus.PLANNED
    )
    in_use_from = models.DateField(_("in use from"), null=True, blank=True)
    reassess_months = models.PositiveSmallIntegerField(_("re-assessment every (months)"), default=12)
    next_assessment_on = models.DateField(_("next assessment"), null=True, blank=True)
    assessment_reminded_for = models.DateField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ServiceQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("external service")
        verbose_name_plural = _("external services")
        constraints = [
            models.CheckConstraint(
                condition=Q(reassess_months__gte=1, reassess_months__lte=60),
                name="service_reassess_months_range",
            ),
            models.CheckConstraint(
                condition=~Q(status=ServiceStatus.IN_USE) | Q(in_use_from__isnull=False),
                name="service_in_use_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.provider}）"


class AssessmentQuerySet(RestrictedQuerySet):
    def restrict_to_scope(self, scope: ScopeLike, action: str, on: dt.date | None = None) -> Self:
        return self.filter(service__in=ExternalService.objects.all().restrict_to_scope(scope, action, on))


class ServiceAssessment(models.Model):
    """The security officer's assessment of an external service, one section per item of A13.1."""

    service = models.ForeignKey(ExternalService, on_delete=models.PROTECT, related_name="assessments")
    assessed_on = models.DateField(_("assessed on"))
    assessed_by = models.ForeignKey("people.Person", on_delete=models.PROTECT, null=True, related_name="+")
    # (1) classification of the information and whether it may be entrusted
    information = models.TextField(_("information to be entrusted and its classification"))
    may_entrust = models.BooleanField(_("the information may be entrusted"))
    # (2) foreign-law risk, place of work, governing law, court
    foreign_law_risk = models.TextField(_("risk of foreign law"))
    work_location = models.CharField(_("where the work is done"), max_length=200)
    governing_law = models.CharField(_("governing law"), max_length=200)
    court = models.CharField(_("competent court"), max_length=200)
    # (3) exit plan
    exit_plan = models.TextField(_("plan if the service stops or ends"))
    # (4) security design over the whole path
    security_design = models.TextField(_("security over the whole path of the information"))
    # (5) reliability judgement (the evidence is listed separately)
    reliability = models.TextField(_("judgement of reliability"))
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["-assessed_on", "-id"]
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")

    def __str__(self) -> str:
        return f"{self.service_id}:{self.assessed_on}"


class EvidenceQuerySet(RestrictedQuerySet):
    def restrict_to_scope(self, scope: ScopeLike, action: str, on: dt.date | None = None) -> Self:
        return self.filter(service__in=ExternalService.objects.all().restrict_to_scope(scope, action, on))


class ReliabilityEvidence(models.Model):
    """An audit report or certification (ISMAP, ISO/IEC 27001/27017, SOC 2 …) of a service, with
    its date and expiry; reminders go out before it expires (A13.1(5))."""

    service = models.ForeignKey(ExternalService, on_delete=models.PROTECT, related_name="evidence")
    kind = models.CharField(_("kind"), max_length=20, choices=EvidenceKind.choices)
    reference = models.CharField(_("reference"), max_length=200)
    issued_on = models.DateField(_("dated"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    reminded_on = models.DateField(null=True, blank=True, editable=False)
    expiry_noted_on = models.DateField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        ordering = ["expires_on", "id"]
        verbose_name = _("reliability evidence")
        verbose_name_plural = _("reliability evidence")
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gt=F("issued_on")),
                name="evidence_expires_after_issue",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.reference}"


class EvidenceFile(models.Model):
    """An uploaded evidence file, kept in the database (never under static or media, so it is
    backed up with everything else and served only through a permission check). Exactly one of
    ``checklist_entry`` and ``reliability`` says what it proves."""

    checklist_entry = models.ForeignKey(
        ChecklistEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="files"
    )
    reliability = models.ForeignKey(
        ReliabilityEvidence, on_delete=models.PROTECT, null=True, blank=True, related_name="files"
    )
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    data = models.BinaryField()
    uploaded_by = models.ForeignKey("people.Person", on_delete=models.PROTECT, null=True, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        constraints = [
            models.CheckConstraint(
                condition=Q(checklist_entry__isnull=False, reliability__isnull=True)
                | Q(checklist_entry__isnull=True, reliability__isnull=False),
                name="evidence_file_proves_one_thing",
            )
        ]

    def __str__(self) -> str:
        return self.name
