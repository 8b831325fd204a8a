"""Writes of the outsourcing register (A12) and of the external-service assessments (A13): one
transaction each, audited, with the notices the regulation asks for.

The rules that live here:

- A12.1(1): a subcontract exists only through a subcontracting permission the responsible
  section's security officer decided (``SUBCONTRACT``); it gets the same security checklist.
- A12.1(2): every contract carries the checklist of ``ChecklistItem``; evidence files are limited
  in size and type (``EVIDENCE_MAX_BYTES``, ``EVIDENCE_TYPES``, sniffed from the content).
- A12.1(3): responsibilities are recorded per contract and system (``responsibility_set``).
- A12.2 / A13.2: a contract is activated, and an external service put into use, only after the IT
  division head answered the consultation (``CONSULTATION``) without objecting.
- A5.9 / A8.8: maintenance staff belong to a contract; their IDs and permissions end with it at
  the latest (``contract_staff_add``, the limit hook in ``selectors.maintenance_limit``,
  ``contract_end``).
- A13.1: an assessment has one section per item (1)–(5); reliability evidence is reminded before
  it expires and brings the re-assessment forward (``outsourcing_run_due``).
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.db.models import F, Model, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kengen.audit.choices import AuditAction
from kengen.audit.services import audit_record
from kengen.contractors.models import Contractor
from kengen.core.era import wareki
from kengen.core.exceptions import Conflict, NotFound, PermissionDenied, RuleViolation
from kengen.core.scope import scope_of
from kengen.core.types import Actor
from kengen.grants.choices import EndReason
from kengen.grants.models import Account
from kengen.grants.services import account_end
from kengen.notifications.services import notification_send
from kengen.organizations.models import Organization
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
from kengen.outsourcing.models import (
    ChecklistEntry,
    Consultation,
    Contract,
    ContractStaff,
    ContractSystem,
    EvidenceFile,
    ExternalService,
    ReliabilityEvidence,
    Responsibility,
    ServiceAssessment,
    SubcontractPermission,
)
from kengen.outsourcing.selectors import contract_accounts, maintenance_limit
from kengen.people.choices import PersonKind
from kengen.people.models import Person
from kengen.roles.selectors import administrators_of, security_officers_for
from kengen.systems.choices import SystemKind
from kengen.systems.models import System
from kengen.users.models import User
from kengen.workflow.choices import WorkflowStatus
from kengen.workflow.services import (
    AuditActions,
    Notice,
    Workflow,
    workflow_audit,
    workflow_decide,
    workflow_number,
    workflow_reject,
    workflow_submit,
    workflow_withdraw,
)

#: A12.1(2): the largest evidence file accepted (10 MiB).
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
#: Accepted evidence types: extension → (content type, the bytes the file must start with).
EVIDENCE_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
}
#: A13.1(5): reminders go out this many days before a piece of evidence expires.
EVIDENCE_REMINDER_DAYS = 60
#: Re-assessments and checklist reviews are reminded this many days ahead.
REVIEW_REMINDER_DAYS = 30


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months (the 31st becomes the month's last day)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- who may -----------------------------------------------------------------------------------


def _locked(model: type[Model], obj: Model, actor: Actor, action: str = "change") -> Any:
    """``obj`` locked for update if ``actor`` may ``action`` it (``None``: Kengen itself), else 404."""
    qs = model._default_manager.all() if actor is None else model._default_manager.restrict(actor, action)  # type: ignore[attr-defined]
    found = qs.select_for_update().filter(pk=obj.pk).first()
    if found is None:
        raise NotFound(_("Not found."))
    return found


def require_section_officer(actor: Actor, organization: Organization, clause: str) -> None:
    """The security officer of ``organization`` (or a configuration administrator, or Kengen
    itself) registers its contracts and services."""
    if actor is None:
        return
    scope = scope_of(actor)
    if scope.is_configurator or organization.pk in scope.officer_org_ids:
        return
    raise PermissionDenied(
        _(
            "Only the security officer of the responsible section or the configuration administrator can do this."
        ),
        clause=clause,
    )


def _person(actor: Actor) -> Person | None:
    return getattr(actor, "person", None) if actor is not None else None


def it_division_heads(on: dt.date) -> list[Person]:
    """The IT division head: the administrator of the core system (A3.1)."""
    core = System.objects.as_of(on).filter(kind=SystemKind.CORE, parent__isnull=True).first()
    return list(administrators_of(core, on)) if core is not None else []


def _officers(organization_id: int, on: dt.date) -> list[Person]:
    return list(security_officers_for(organization_id, on))


def _text(value: str, field: str, clause: str) -> str:
    value = (value or "").strip()
    if not value:
        raise RuleViolation(_("This field is required."), clause=clause, field=field)
    return value


# --- contractors (the configuration administrator, A14) -----------------------------------------


@transaction.atomic
def contractor_update(
    *, actor: Actor, contractor: Contractor, name: str, kana: str = "", corporate_number: str = ""
) -> Contractor:
    """Correct a contractor's name, kana or corporate number (the configuration administrator)."""
    from kengen.core.permissions import require_configurator

    require_configurator(actor)
    contractor = Contractor.objects.select_for_update().get(pk=contractor.pk)
    name = _text(name, "name", "A14")
    corporate_number = (corporate_number or "").strip()
    if corporate_number and not (corporate_number.isdigit() and len(corporate_number) == 13):
        raise RuleViolation(_("A corporate number has 13 digits."), field="corporate_number")
    old = {"name": contractor.name, "kana": contractor.kana, "corporate_number": contractor.corporate_number}
    contractor.name, contractor.kana, contractor.corporate_number = name, kana.strip(), corporate_number
    contractor.save(update_fields=["name", "kana", "corporate_number"])
    audit_record(
        actor=actor,
        action=AuditAction.CONTRACTOR_UPDATED,
        target=contractor,
        old=old,
        new={"name": name, "kana": contractor.kana, "corporate_number": corporate_number},
    )
    return contractor


# --- contracts (A12) ---------------------------------------------------------------------------


def _checklist_open(contract: Contract) -> None:
    ChecklistEntry.objects.bulk_create(
        ChecklistEntry(contract=contract, item=item) for item in ChecklistItem.values
    )


def _contract_check(
    work: str, systems: Sequence[System], organization: Organization, valid_from: dt.date, valid_to: dt.date
) -> None:
    """What registering and changing a contract both require (A12.1)."""
    if work not in WorkKind.values:
        raise RuleViolation(_("Choose development, operation or maintenance."), clause="A12.1", field="work")
    if not systems:
        raise RuleViolation(_("Choose at least one system."), clause="A12.1", field="systems")
    if valid_to <= valid_from:
        raise RuleViolation(_("The contract must end after it starts."), clause="A12.1", field="valid_to")
    if not organization.is_active_on(valid_from):
        raise RuleViolation(
            _("%(unit)s does not exist on %(date)s.")
            % {"unit": organization.name, "date": wareki(valid_from)},
            field="organization",
        )


@transaction.atomic
def contract_create(
    *,
    actor: Actor,
    contractor: Contractor,
    title: str,
    work: str,
    systems: Sequence[System],
    organization: Organization,
    valid_from: dt.date,
    valid_to: dt.date,
    parent: Contract | None = None,
) -> Contract:
    """Register an outsourcing contract as not yet active, with its security checklist (A12.1(2)).
    It is activated once the IT division head has answered the consultation (A12.2)."""
    require_section_officer(actor, organization, "A12.1")
    if parent is not None:
        raise RuleViolation(
            _(
                "A subcontractor is added only with the security officer's permission: apply for a "
                "subcontracting permission on the contract."
            ),
            clause="A12.1",
            field="parent",
        )
    title = _text(title, "title", "A12.1")
    _contract_check(work, systems, organization, valid_from, valid_to)
    contract = Contract.objects.create(
        contractor=contractor,
        title=title,
        work=work,
        organization=organization,
        valid_from=valid_from,
        valid_to=valid_to,
        created_by=actor,
    )
    ContractSystem.objects.bulk_create(
        ContractSystem(contract=contract, system=s) for s in {s.pk: s for s in systems}.values()
    )
    _checklist_open(contract)
    audit_record(
        actor=actor,
        action=AuditAction.CONTRACT_CREATED,
        target=contract,
        new={
            "contractor": contractor.pk,
            "title": title,
            "work": work,
            "systems": sorted(s.code for s in systems),
            "organization": organization.code,
            "valid_from": valid_from,
            "valid_to": valid_to,
        },
    )
    return contract


#: What ``contract_update`` may change, in the order the audit event lists it.
CONTRACT_FIELDS = ("title", "work", "systems", "organization", "valid_from", "valid_to")


def _contract_values(contract: Contract) -> dict[str, Any]:
    return {
        "title": contract.title,
        "work": contract.work,
        "systems": sorted(contract.systems.values_list("code", flat=True)),
        "organization": contract.organization.code,
        "valid_from": contract.valid_from,
        "valid_to": contract.valid_to,
    }


@transaction.atomic
def contract_update(
    *,
    actor: Actor,
    contract: Contract,
    title: str | None = None,
    work: str | None = None,
    systems: Sequence[System] | None = None,
    organization: Organization | None = None,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
    today: dt.date | None = None,
) -> Contract:
    """Correct or change a registered contract: its title, kind of work, systems, responsible
    section or period (``None``: unchanged). Whoever may register it may change it (the security
    officer of the responsible section — of the new one too — or the configuration
    administrator); an ended contract is history and is not changed. The rules of registration are
    checked again (A12.1), a change never activates a contract (that needs the IT division head's
    answer, A12.2), and a subcontract stays within its main contract. Shortening the period or
    dropping a system cuts the maintenance staff's user IDs and permissions back to what the
    contracts still allow (A5.9), through the grants services, and tells the section's security
    officers and the systems' administrators; staff listed to the old end of an extended contract
    stay on it to the new end. Audited field by field (old and new)."""
    today = today or timezone.localdate()
    contract = _locked(Contract, contract, actor)
    if contract.status == ContractStatus.ENDED:
        raise Conflict(_("This contract has ended."))
    old = _contract_values(contract)
    before = list(contract_accounts(contract))
    title = contract.title if title is None else _text(title, "title", "A12.1")
    work = contract.work if work is None else work
    new_systems = (
        list(contract.systems.all()) if systems is None else list({s.pk: s for s in systems}.values())
    )
    organization = organization or contract.organization
    if organization.pk != contract.organization_id:
        require_section_officer(actor, organization, "A12.1")
    valid_from = valid_from or contract.valid_from
    valid_to = valid_to or contract.valid_to
    _contract_check(work, new_systems, organization, valid_from, valid_to)
    if contract.status == ContractStatus.ACTIVE and valid_to <= today:
        raise RuleViolation(
            _("A contract in force is ended with “End the contract”; a new last day must be today or later."),
            clause="A12.1",
            field="valid_to",
        )
    parent = contract.parent
    if parent is not None:
        outside = [s.name for s in new_systems if not parent.systems.filter(pk=s.pk).exists()]
        if outside:
            raise RuleViolation(
                _("A subcontract covers only systems of its main contract: %(systems)s.")
                % {"systems": ", ".join(outside)},
                clause="A12.1",
                field="systems",
            )
        if valid_from < parent.valid_from or valid_to > parent.valid_to:
            raise RuleViolation(
                _("A subcontract lies within its main contract's period (%(start)s to %(end)s).")
                % {"start": wareki(parent.valid_from), "end": wareki(parent.last_day)},
                clause="A12.1",
                field="valid_to",
            )
        if organization.pk != parent.organization_id:
            raise RuleViolation(
                _("A subcontract belongs to its main contract's responsible section."),
                clause="A12.1",
                field="organization",
            )
    for row in contract.staff.select_related("person"):
        if row.valid_from < valid_from or row.valid_from >= valid_to:
            raise RuleViolation(
                _("%(name)s works under the contract from %(date)s, outside the new period.")
                % {"name": row.person.full_name, "date": wareki(row.valid_from)},
                clause="A5.9",
                field="valid_from" if row.valid_from < valid_from else "valid_to",
            )
    contract.title, contract.work, contract.organization = title, work, organization
    contract.valid_from, contract.valid_to = valid_from, valid_to
    contract.save(update_fields=["title", "work", "organization", "valid_from", "valid_to"])
    kept = {s.pk for s in new_systems}
    dropped = ContractSystem.objects.filter(contract=contract).exclude(system_id__in=kept)
    Responsibility.objects.filter(contract=contract, system_id__in=dropped.values("system_id")).delete()
    dropped.delete()
    present = set(ContractSystem.objects.filter(contract=contract).values_list("system_id", flat=True))
    ContractSystem.objects.bulk_create(
        ContractSystem(contract=contract, system=s) for s in new_systems if s.pk not in present
    )
    contract.staff.filter(valid_to__gt=valid_to).update(valid_to=valid_to)  # A5.9: within the contract
    if valid_to > old["valid_to"]:  # staff on it to its end stay on it to its new end
        contract.staff.filter(valid_to=old["valid_to"]).update(valid_to=valid_to)
    new = _contract_values(contract)
    changed = [f for f in CONTRACT_FIELDS if old[f] != new[f]]
    for sub in contract.subcontracts.exclude(status=ContractStatus.ENDED):
        sub_systems = [s for s in sub.systems.all() if s.pk in kept]
        if not sub_systems:  # never widened without the security officer's permission (A12.1(1))
            raise RuleViolation(
                _("The subcontract %(sub)s covers only systems being removed: end it first.") % {"sub": sub},
                clause="A12.1",
                field="systems",
            )
        contract_update(
            actor=None,
            contract=sub,
            work=work,
            systems=sub_systems,
            organization=organization,
            valid_from=max(sub.valid_from, valid_from),
            valid_to=min(sub.valid_to, valid_to),
            today=today,
        )
    cut = _maintenance_cut_back(before, on=today)
    if not changed and not cut:
        return contract
    audit_record(
        actor=actor,
        action=AuditAction.CONTRACT_UPDATED,
        target=contract,
        old={f: old[f] for f in changed},
        new={
            **{f: new[f] for f in changed},
            **({"accounts_cut_back": [[uid, end] for uid, end in cut]} if cut else {}),
        },
    )
    if cut:
        systems_hit = {a.system for a in before if a.user_id in {uid for uid, _e in cut}}
        recipients = [*_officers(contract.organization_id, today)]
        recipients += [p for system in systems_hit for p in administrators_of(system, today)]
        notification_send(
            recipients=recipients,
            clause="A5.9",
            subject=_("Maintenance user IDs cut back: %(contract)s") % {"contract": contract.title},
            body=_(
                "%(contract)s was changed (now %(start)s to %(end)s). Maintenance staff user IDs and their "
                "permissions end with the contract at the latest, so these were cut back: %(ids)s."
            )
            % {
                "contract": contract,
                "start": wareki(contract.valid_from),
                "end": wareki(contract.last_day),
                "ids": ", ".join(f"{uid} ({wareki(end - dt.timedelta(days=1))})" for uid, end in cut),
            },
            target=contract,
        )
    return contract


@transaction.atomic
def contract_activate(*, actor: Actor, contract: Contract, now: dt.datetime | None = None) -> Contract:
    """Put a contract into force: only after the IT division head's answer to the consultation,
    and not an objection (A12.2). A subcontract is activated by its permission (A12.1(1))."""
    contract = _locked(Contract, contract, actor)
    now = now or timezone.now()
    if contract.status != ContractStatus.DRAFT:
        raise Conflict(_("This contract is %(status)s.") % {"status": contract.get_status_display()})
    if contract.parent_id is None and not any(c.agreed for c in contract.consultations.all()):
        raise RuleViolation(
            _(
                "A new outsourcing is discussed with the IT division head first: the contract is activated "
                "after the consultation is answered without objection."
            ),
            clause="A12.2",
        )
    if contract.parent is not None and contract.parent.status != ContractStatus.ACTIVE:
        raise RuleViolation(_("The main contract is not active."), clause="A12.1")
    if timezone.localdate(now) >= contract.valid_to:
        raise Conflict(_("The contract's period is over."))
    contract.status = ContractStatus.ACTIVE
    contract.activated_at = now
    contract.save(update_fields=["status", "activated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.CONTRACT_ACTIVATED,
        target=contract,
        old={"status": ContractStatus.DRAFT},
        new={"status": ContractStatus.ACTIVE},
    )
    on = timezone.localdate(now)
    admins = [p for s in contract.systems.all() for p in administrators_of(s, on)]
    notification_send(
        recipients=admins,
        clause="A5.9",
        subject=_("Contract in force: %(contract)s") % {"contract": contract},
        body=_(
            "The contract %(contract)s is in force until %(date)s. Maintenance staff IDs and permissions for it "
            "end with the contract at the latest."
        )
        % {"contract": contract, "date": wareki(contract.last_day)},
        target=contract,
    )
    return contract


def _maintenance_cut_back(accounts: Sequence[Account], *, on: dt.date) -> list[tuple[str, dt.date]]:
    """A5.9: end, through the grants services, every maintenance user ID among ``accounts`` (and
    with it its permissions) that runs beyond what the contracts now allow from ``on`` on — the end
    of the active contracts covering its system on whose staff its holder is, or ``on`` itself if
    none is left. Returns ``(user ID, new end)`` of each one cut."""
    cut: list[tuple[str, dt.date]] = []
    for account in accounts:
        if account.person is None or (account.valid_to is not None and account.valid_to <= on):
            continue
        start = max(on, account.valid_from)
        limit = maintenance_limit(account.person, account.system, start)
        if limit is None:
            continue
        end = start if limit.until is None else limit.until
        if account.valid_to is not None and account.valid_to <= end:
            continue
        account_end(actor=None, account=account, on=end, reason=EndReason.CONTRACT_ENDED)
        cut.append((account.user_id, end))
    return cut


@transaction.atomic
def contract_end(*, actor: Actor, contract: Contract, on: dt.date, note: str = "") -> Contract:
    """End a contract on ``on`` (or record that its period ended): its subcontracts end with it,
    and so do its maintenance staff's user IDs and permissions (A5.9)."""
    contract = _locked(Contract, contract, actor)
    if contract.status == ContractStatus.ENDED:
        raise Conflict(_("This contract has already ended."))
    on = min(on, contract.valid_to)
    old = {"status": contract.status, "ended_on": None}
    contract.status = ContractStatus.ENDED
    contract.ended_on = on
    contract.end_note = note.strip()[:200]
    contract.save(update_fields=["status", "ended_on", "end_note"])
    ended_accounts = [uid for uid, _end in _maintenance_cut_back(list(contract_accounts(contract)), on=on)]
    audit_record(
        actor=actor,
        actor_label=None if actor is not None else "kengen run-due",
        action=AuditAction.CONTRACT_ENDED,
        target=contract,
        old=old,
        new={"status": ContractStatus.ENDED, "ended_on": on, "accounts_ended": ended_accounts},
    )
    for sub in contract.subcontracts.exclude(status=ContractStatus.ENDED):
        contract_end(actor=None, contract=sub, on=on, note=_("Main contract ended"))
    return contract


@transaction.atomic
def contract_staff_add(
    *,
    actor: Actor,
    contract: Contract,
    person: Person,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
) -> ContractStaff:
    """Record that a contractor's maintenance staff member works under ``contract`` (A5.9); the
    period never reaches beyond the contract's."""
    contract = _locked(Contract, contract, actor)
    if contract.status == ContractStatus.ENDED:
        raise Conflict(_("This contract has ended."))
    if person.kind != PersonKind.MAINTENANCE or person.contractor_id != contract.contractor_id:
        raise RuleViolation(
            _("%(name)s is not maintenance staff of %(contractor)s.")
            % {"name": person.full_name, "contractor": contract.contractor.name},
            clause="A5.9",
            field="person",
        )
    valid_from = valid_from or contract.valid_from
    valid_to = valid_to or contract.valid_to
    if valid_from < contract.valid_from or valid_to > contract.valid_to or valid_to <= valid_from:
        raise RuleViolation(
            _("Maintenance staff work within the contract's period (%(start)s to %(end)s).")
            % {"start": wareki(contract.valid_from), "end": wareki(contract.last_day)},
            clause="A5.9",
            field="valid_to",
        )
    if ContractStaff.objects.filter(contract=contract, person=person).exists():
        raise Conflict(_("%(name)s is already on this contract.") % {"name": person.full_name})
    row = ContractStaff.objects.create(
        contract=contract, person=person, valid_from=valid_from, valid_to=valid_to
    )
    audit_record(
        actor=actor,
        action=AuditAction.CONTRACT_STAFF_ADDED,
        target=contract,
        new={"person": person.pk, "valid_from": valid_from, "valid_to": valid_to},
    )
    return row


@transaction.atomic
def checklist_update(
    *,
    actor: Actor,
    entry: ChecklistEntry,
    state: str,
    note: str = "",
    review_on: dt.date | None = None,
) -> ChecklistEntry:
    """Record where one security measure stands and when it is reviewed next (A12.1(2))."""
    entry = _locked(ChecklistEntry, entry, actor)
    if state not in CheckState.values:
        raise RuleViolation(_("Unknown state %(s)s.") % {"s": state}, field="state")
    if state == CheckState.CONFIRMED and review_on is None:
        raise RuleViolation(_("Give the date of the next review."), clause="A12.1", field="review_on")
    old = {"state": entry.state, "review_on": entry.review_on}
    entry.state, entry.note, entry.review_on = state, note.strip(), review_on
    if state == CheckState.CONFIRMED:
        entry.confirmed_by, entry.confirmed_at = _person(actor), timezone.now()
    entry.save(update_fields=["state", "note", "review_on", "confirmed_by", "confirmed_at"])
    audit_record(
        actor=actor,
        action=AuditAction.CONTRACT_CHECKLIST_UPDATED,
        target=entry.contract,
        old=old,
        new={"item": entry.item, "state": state, "review_on": review_on},
    )
    return entry


def evidence_check(*, name: str, data: bytes) -> tuple[str, str]:
    """A12.1(2): the file's safe name and content type, or a refusal naming the rule broken —
    too large, empty, or not a PDF/PNG/JPEG (judged by its content, not by what the browser says)."""
    if not data:
        raise RuleViolation(_("The file is empty."), clause="A12.1", field="file")
    if len(data) > EVIDENCE_MAX_BYTES:
        raise RuleViolation(
            _("The file is larger than %(mb)d MB.") % {"mb": EVIDENCE_MAX_BYTES // (1024 * 1024)},
            clause="A12.1",
            field="file",
        )
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>:|?*')[:200] or "evidence"
    ext = base.rsplit(".", 1)[-1].lower() if "." in base else ""
    if ext not in EVIDENCE_TYPES:
        raise RuleViolation(_("Only PDF, PNG and JPEG files are accepted."), clause="A12.1", field="file")
    content_type, magic = EVIDENCE_TYPES[ext]
    if not data.startswith(magic):
        raise RuleViolation(
            _("The file's content is not a %(ext)s file.") % {"ext": ext.upper()},
            clause="A12.1",
            field="file",
        )
    return base, content_type


@transaction.atomic
def evidence_upload(
    *,
    actor: Actor,
    name: str,
    data: bytes,
    entry: ChecklistEntry | None = None,
    reliability: ReliabilityEvidence | None = None,
) -> EvidenceFile:
    """Attach an evidence file to a checklist entry (A12.1(2)) or to reliability evidence
    (A13.1(5)). Its content is never written to the audit log — only its name, size and hash."""
    if (entry is None) == (reliability is None):
        raise RuleViolation(_("Say what the file is evidence of."), field="file")
    if entry is not None:
        entry = _locked(ChecklistEntry, entry, actor)
        target: Model = entry.contract
    else:
        assert reliability is not None
        reliability = _locked(ReliabilityEvidence, reliability, actor)
        target = reliability.service
    safe_name, content_type = evidence_check(name=name, data=data)
    digest = hashlib.sha256(data).hexdigest()
    file = EvidenceFile.objects.create(
        checklist_entry=entry,
        reliability=reliability,
        name=safe_name,
        content_type=content_type,
        size=len(data),
        sha256=digest,
        data=data,
        uploaded_by=_person(actor),
    )
    audit_record(
        actor=actor,
        action=AuditAction.CONTRACT_EVIDENCE_UPLOADED,
        target=target,
        new={"file": safe_name, "size": len(data), "sha256": digest, "item": entry.item if entry else None},
    )
    return file


@transaction.atomic
def responsibility_set(
    *,
    actor: Actor,
    contract: Contract,
    system: System,
    duties: str,
    contact: str,
    coordination: str = "",
) -> Responsibility:
    """Make a contractor's scope and responsibility on a system clear, with its contact and how
    it coordinates with the others (A12.1(3))."""
    contract = _locked(Contract, contract, actor)
    if not ContractSystem.objects.filter(contract=contract, system=system).exists():
        raise RuleViolation(
            _("The contract does not cover %(system)s.") % {"system": system.name},
            clause="A12.1",
            field="system",
        )
    duties = _text(duties, "duties", "A12.1")
    contact = _text(contact, "contact", "A12.1")
    row, _created = Responsibility.objects.update_or_create(
        contract=contract,
        system=system,
        defaults={"duties": duties, "contact": contact, "coordination": coordination.strip()},
    )
    audit_record(
        actor=actor,
        action=AuditAction.CONTRACT_RESPONSIBILITY_SET,
        target=contract,
        new={"system": system.code, "duties": duties, "contact": contact, "coordination": row.coordination},
    )
    return row


# --- the consultation with the IT division head (A12.2, A13.2) ----------------------------------


class ConsultationWorkflow(Workflow[Consultation]):
    """The security officer consults the IT division head on a new outsourcing (A12.2) or a new
    external service (A13.2); the IT division head answers (agree / with conditions / object)."""

    model = Consultation
    audit = AuditActions(
        created=AuditAction.CONSULTATION_CREATED,
        submitted=AuditAction.CONSULTATION_SUBMITTED,
        withdrawn=AuditAction.CONSULTATION_WITHDRAWN,
        decided=AuditAction.CONSULTATION_COMPLETED,
        rejected=AuditAction.CONSULTATION_REJECTED,
    )
    detail_url = "outsourcing:consultation_detail"

    def _clause(self, app: Consultation) -> str:
        return "A12.2" if app.subject == ConsultationSubject.OUTSOURCING else "A13.2"

    def check_submit(self, app: Consultation, *, actor: User) -> None:
        if not app.reason.strip():
            raise RuleViolation(
                _("Describe what is to be consulted."), clause=self._clause(app), field="reason"
            )

    def deciders(self, app: Consultation, on: dt.date) -> Iterable[Person]:
        return it_division_heads(on)

    def submitted_notice(self, app: Consultation) -> Notice:
        return Notice(
            clause=self._clause(app),
            subject=_("Consultation %(number)s: %(subject)s")
            % {"number": app.number, "subject": app.get_subject_display()},
            body=_("The security officer of %(unit)s consults you on %(about)s. Answer in Kengen.")
            % {"unit": app.organization.name, "about": app.about},
        )

    def decide(self, app: Consultation, *, actor: User, now: dt.datetime, **options: Any) -> str:
        answer = options.get("answer", "")
        comment = (options.get("comment") or "").strip()
        if answer not in ConsultationAnswer.values:
            raise RuleViolation(_("Choose an answer."), clause=self._clause(app), field="answer")
        if answer != ConsultationAnswer.AGREE and not comment:
            raise RuleViolation(
                _("Say which conditions apply or why you object."), clause=self._clause(app), field="comment"
            )
        app.answer, app.answer_comment = answer, comment
        app.save(update_fields=["answer", "answer_comment"])
        return answer

    def decided_audit(self, app: Consultation, result: Any) -> dict[str, Any]:
        return {"answer": app.answer, "comment": app.answer_comment}

    def applicant_side(self, app: Consultation, on: dt.date) -> list[Person]:
        people = _officers(app.organization_id, on)
        return [*people, app.submitted_by] if app.submitted_by else people

    def decided_notice(self, app: Consultation, result: Any, now: dt.datetime) -> Notice:
        return Notice(
            clause=self._clause(app),
            subject=_("Consultation %(number)s answered: %(answer)s")
            % {"number": app.number, "answer": app.get_answer_display()},
            body=app.answer_comment or str(app.get_answer_display()),
        )

    def rejected_notice(self, app: Consultation) -> Notice:
        return Notice(
            clause=self._clause(app),
            subject=_("Consultation %(number)s was returned") % {"number": app.number},
            body=_("Reason: %(reason)s") % {"reason": app.rejection_reason},
        )


CONSULTATION = ConsultationWorkflow()


@transaction.atomic
def consultation_create(
    *,
    actor: User,
    contract: Contract | None = None,
    service: ExternalService | None = None,
    reason: str = "",
    today: dt.date | None = None,
) -> Consultation:
    """Draft a consultation on a contract (A12.2) or an external service (A13.2). The security
    officer of the responsible section consults."""
    today = today or timezone.localdate()
    if (contract is None) == (service is None):
        raise RuleViolation(_("Consult on one contract or one external service."), field="contract")
    subject = (
        ConsultationSubject.OUTSOURCING if contract is not None else ConsultationSubject.EXTERNAL_SERVICE
    )
    clause = "A12.2" if contract is not None else "A13.2"
    thing: Contract | ExternalService = contract if contract is not None else service  # type: ignore[assignment]
    organization = thing.organization
    if organization.pk not in scope_of(actor).officer_org_ids:
        raise PermissionDenied(_("The security officer of the responsible section consults."), clause=clause)
    if contract is not None and contract.parent_id is not None:
        raise RuleViolation(
            _("A subcontract is covered by its permission."), clause="A12.1", field="contract"
        )
    open_or_agreed = Consultation.objects.filter(contract=contract, service=service).filter(
        Q(status__in=WorkflowStatus.open())
        | Q(
            status=WorkflowStatus.COMPLETED,
            answer__in=[ConsultationAnswer.AGREE, ConsultationAnswer.AGREE_WITH_CONDITIONS],
        )
    )
    if open_or_agreed.exists():
        raise Conflict(_("A consultation on this is already open or answered."))
    app = Consultation.objects.create(
        number=workflow_number(Consultation, today=today),
        subject=subject,
        contract=contract,
        service=service,
        organization=organization,
        reason=reason.strip(),
        created_by=actor,
    )
    workflow_audit(
        CONSULTATION,
        CONSULTATION.audit.created,
        actor=actor,
        application=app,
        new={
            "subject": subject,
            "contract": getattr(contract, "pk", None),
            "service": getattr(service, "pk", None),
        },
    )
    return app


def consultation_submit(*, actor: User, application: Consultation) -> Consultation:
    return workflow_submit(CONSULTATION, actor=actor, application=application)


def consultation_withdraw(*, actor: User, application: Consultation) -> Consultation:
    return workflow_withdraw(CONSULTATION, actor=actor, application=application)


def consultation_complete(
    *, actor: User, application: Consultation, answer: str, comment: str = ""
) -> Consultation:
    """The IT division head answers: agree, agree with conditions, or object (A12.2, A13.2)."""
    return workflow_decide(
        CONSULTATION, actor=actor, application=application, answer=answer, comment=comment
    ).application


def consultation_reject(*, actor: User, application: Consultation, reason: str) -> Consultation:
    """The IT division head returns the consultation (to be completed and submitted again)."""
    return workflow_reject(CONSULTATION, actor=actor, application=application, reason=reason)


# --- subcontracting permissions (A12.1(1)) -----------------------------------------------------


class SubcontractWorkflow(Workflow[SubcontractPermission]):
    """A contractor asks to re-subcontract; the configuration administrator or an administrator of
    the covered systems applies, and the responsible section's security officer permits it — which
    registers the subcontract with the same security checklist — or refuses (A12.1(1))."""

    model = SubcontractPermission
    audit = AuditActions(
        created=AuditAction.SUBCONTRACT_CREATED,
        submitted=AuditAction.SUBCONTRACT_SUBMITTED,
        withdrawn=AuditAction.SUBCONTRACT_WITHDRAWN,
        decided=AuditAction.SUBCONTRACT_PERMITTED,
        rejected=AuditAction.SUBCONTRACT_REJECTED,
    )
    detail_url = "outsourcing:subcontract_detail"

    def deciders(self, app: SubcontractPermission, on: dt.date) -> Iterable[Person]:
        return _officers(app.organization_id, on)

    def submitted_notice(self, app: SubcontractPermission) -> Notice:
        return Notice(
            clause="A12.1",
            subject=_("Subcontracting permission %(number)s") % {"number": app.number},
            body=_("%(contractor)s asks to subcontract to %(sub)s under %(contract)s: %(scope)s")
            % {
                "contractor": app.contract.contractor.name,
                "sub": app.subcontractor.name,
                "contract": app.contract.title,
                "scope": app.work_scope,
            },
        )

    def decide(
        self, app: SubcontractPermission, *, actor: User, now: dt.datetime, **options: Any
    ) -> Contract:
        parent = Contract.objects.select_for_update().get(pk=app.contract_id)
        if parent.status == ContractStatus.ENDED:
            raise Conflict(_("The main contract has ended."))
        active = parent.status == ContractStatus.ACTIVE
        sub = Contract.objects.create(
            contractor=app.subcontractor,
            parent=parent,
            title=_("%(title)s (subcontract)") % {"title": parent.title},
            work=parent.work,
            organization=parent.organization,
            valid_from=parent.valid_from,
            valid_to=parent.valid_to,
            status=ContractStatus.ACTIVE if active else ContractStatus.DRAFT,
            activated_at=now if active else None,
            created_by=actor,
        )
        ContractSystem.objects.bulk_create(
            ContractSystem(contract=sub, system=s) for s in parent.systems.all()
        )
        _checklist_open(sub)  # the same security measures (A12.1(1))
        app.subcontract = sub
        app.save(update_fields=["subcontract"])
        audit_record(
            actor=actor,
            action=AuditAction.CONTRACT_CREATED,
            target=sub,
            application_ref=app.number,
            new={"contractor": app.subcontractor_id, "parent": parent.pk, "status": sub.status},
        )
        return sub

    def decided_audit(self, app: SubcontractPermission, result: Any) -> dict[str, Any]:
        return {"subcontract": result.pk}

    def applicant_side(self, app: SubcontractPermission, on: dt.date) -> list[Person]:
        return [app.submitted_by] if app.submitted_by else []

    def decided_notice(self, app: SubcontractPermission, result: Any, now: dt.datetime) -> Notice:
        return Notice(
            clause="A12.1",
            subject=_("Subcontracting permitted: %(number)s") % {"number": app.number},
            body=_("%(sub)s may work under %(contract)s. The same security measures are required of it.")
            % {"sub": app.subcontractor.name, "contract": app.contract.title},
        )

    def rejected_notice(self, app: SubcontractPermission) -> Notice:
        return Notice(
            clause="A12.1",
            subject=_("Subcontracting refused: %(number)s") % {"number": app.number},
            body=_("Reason: %(reason)s") % {"reason": app.rejection_reason},
        )


SUBCONTRACT = SubcontractWorkflow()


@transaction.atomic
def subcontract_permission_create(
    *,
    actor: User,
    contract: Contract,
    subcontractor: Contractor,
    work_scope: str,
    reason: str = "",
    today: dt.date | None = None,
) -> SubcontractPermission:
    """Draft the request for the security officer's permission to re-subcontract (A12.1(1))."""
    today = today or timezone.localdate()
    scope = scope_of(actor)
    covered = contract.systems.filter(pk__in=scope.administered_system_ids).exists()
    if not (scope.is_configurator or covered):
        raise PermissionDenied(
            _("The configuration administrator or an administrator of the covered systems applies."),
            clause="A12.1",
        )
    if contract.status == ContractStatus.ENDED:
        raise Conflict(_("This contract has ended."))
    if subcontractor.pk == contract.contractor_id:
        raise RuleViolation(
            _("A contractor does not subcontract to itself."), clause="A12.1", field="subcontractor"
        )
    app = SubcontractPermission.objects.create(
        number=workflow_number(SubcontractPermission, today=today),
        contract=contract,
        subcontractor=subcontractor,
        work_scope=_text(work_scope, "work_scope", "A12.1"),
        organization=contract.organization,
        reason=reason.strip(),
        created_by=actor,
    )
    workflow_audit(
        SUBCONTRACT,
        SUBCONTRACT.audit.created,
        actor=actor,
        application=app,
        new={"contract": contract.pk, "subcontractor": subcontractor.pk, "work_scope": app.work_scope},
    )
    return app


def subcontract_permission_submit(
    *, actor: User, application: SubcontractPermission
) -> SubcontractPermission:
    return workflow_submit(SUBCONTRACT, actor=actor, application=application)


def subcontract_permission_withdraw(
    *, actor: User, application: SubcontractPermission
) -> SubcontractPermission:
    return workflow_withdraw(SUBCONTRACT, actor=actor, application=application)


def subcontract_permission_grant(*, actor: User, application: SubcontractPermission) -> SubcontractPermission:
    """The security officer permits the subcontract, which is registered with the same checklist."""
    return workflow_decide(SUBCONTRACT, actor=actor, application=application).application


def subcontract_permission_reject(
    *, actor: User, application: SubcontractPermission, reason: str
) -> SubcontractPermission:
    return workflow_reject(SUBCONTRACT, actor=actor, application=application, reason=reason)


# --- external services (A13) -------------------------------------------------------------------


@transaction.atomic
def service_create(
    *,
    actor: Actor,
    name: str,
    provider: str,
    organization: Organization,
    purpose: str = "",
    reassess_months: int = 12,
) -> ExternalService:
    """Register an external service as planned; it is put into use after its assessment (A13.1)
    and the IT division head's answer (A13.2)."""
    require_section_officer(actor, organization, "A13.1")
    if not 1 <= reassess_months <= 60:
        raise RuleViolation(_("Re-assess every 1 to 60 months."), clause="A13.1", field="reassess_months")
    service = ExternalService.objects.create(
        name=_text(name, "name", "A13.1"),
        provider=_text(provider, "provider", "A13.1"),
        organization=organization,
        purpose=purpose.strip(),
        reassess_months=reassess_months,
    )
    audit_record(
        actor=actor,
        action=AuditAction.SERVICE_CREATED,
        target=service,
        new={"name": service.name, "provider": service.provider, "organization": organization.code},
    )
    return service


ASSESSMENT_FIELDS = (
    "information",
    "foreign_law_risk",
    "work_location",
    "governing_law",
    "court",
    "exit_plan",
    "security_design",
    "reliability",
)


@transaction.atomic
def assessment_record(
    *, actor: Actor, service: ExternalService, assessed_on: dt.date, may_entrust: bool, **sections: str
) -> ServiceAssessment:
    """Record the security officer's assessment, one section per item of A13.1: (1) information
    and whether it may be entrusted; (2) foreign law, place of work, governing law, court; (3) the
    exit plan; (4) security over the whole path; (5) reliability. Every section is required. The
    next assessment falls due after the service's schedule."""
    service = _locked(ExternalService, service, actor)
    unknown = set(sections) - set(ASSESSMENT_FIELDS)
    if unknown:
        raise RuleViolation(_("Unknown section %(s)s.") % {"s": ", ".join(sorted(unknown))})
    values = {f: _text(sections.get(f, ""), f, "A13.1") for f in ASSESSMENT_FIELDS}
    assessment = ServiceAssessment.objects.create(
        service=service,
        assessed_on=assessed_on,
        assessed_by=_person(actor),
        may_entrust=may_entrust,
        **values,
    )
    old = {"next_assessment_on": service.next_assessment_on}
    next_on = add_months(assessed_on, service.reassess_months)
    expiring = (
        service.evidence.filter(expires_on__isnull=False, expires_on__gt=assessed_on)
        .order_by("expires_on")
        .first()
    )
    if expiring is not None and expiring.expires_on is not None:
        next_on = min(next_on, expiring.expires_on)
    service.next_assessment_on = next_on
    service.save(update_fields=["next_assessment_on"])
    audit_record(
        actor=actor,
        action=AuditAction.SERVICE_ASSESSED,
        target=service,
        old=old,
        new={"assessed_on": assessed_on, "may_entrust": may_entrust, "next_assessment_on": next_on},
    )
    return assessment


@transaction.atomic
def evidence_add(
    *,
    actor: Actor,
    service: ExternalService,
    kind: str,
    reference: str,
    issued_on: dt.date,
    expires_on: dt.date | None = None,
) -> ReliabilityEvidence:
    """Record an audit report or a certification of the service with its date and expiry
    (A13.1(5)); the re-assessment falls due no later than the expiry."""
    service = _locked(ExternalService, service, actor)
    if kind not in EvidenceKind.values:
        raise RuleViolation(_("Unknown kind of evidence %(k)s.") % {"k": kind}, clause="A13.1", field="kind")
    if expires_on is not None and expires_on <= issued_on:
        raise RuleViolation(_("The evidence must expire after its date."), clause="A13.1", field="expires_on")
    evidence = ReliabilityEvidence.objects.create(
        service=service,
        kind=kind,
        reference=_text(reference, "reference", "A13.1"),
        issued_on=issued_on,
        expires_on=expires_on,
    )
    if expires_on is not None and (
        service.next_assessment_on is None or expires_on < service.next_assessment_on
    ):
        service.next_assessment_on = expires_on
        service.save(update_fields=["next_assessment_on"])
    audit_record(
        actor=actor,
        action=AuditAction.SERVICE_EVIDENCE_ADDED,
        target=service,
        new={"kind": kind, "reference": evidence.reference, "issued_on": issued_on, "expires_on": expires_on},
    )
    return evidence


@transaction.atomic
def service_start_use(
    *, actor: Actor, service: ExternalService, on: dt.date | None = None
) -> ExternalService:
    """Put a service into use: only with an assessment that lets the information be entrusted
    (A13.1(1)), reliability evidence in force (A13.1(5)), and the IT division head's answer
    without objection (A13.2)."""
    service = _locked(ExternalService, service, actor)
    on = on or timezone.localdate()
    if service.status != ServiceStatus.PLANNED:
        raise Conflict(_("This service is %(status)s.") % {"status": service.get_status_display()})
    if not any(c.agreed for c in service.consultations.all()):
        raise RuleViolation(
            _("A new external service is discussed with the IT division head first."), clause="A13.2"
        )
    latest = service.assessments.first()
    if latest is None or not latest.may_entrust:
        raise RuleViolation(
            _("The assessment must find that the information may be entrusted to the service."),
            clause="A13.1",
        )
    in_force = service.evidence.filter(issued_on__lte=on).filter(
        Q(expires_on__isnull=True) | Q(expires_on__gt=on)
    )
    if not in_force.exists():
        raise RuleViolation(
            _("Record reliability evidence in force (audit report, certification)."), clause="A13.1"
        )
    service.status, service.in_use_from = ServiceStatus.IN_USE, on
    service.save(update_fields=["status", "in_use_from"])
    audit_record(
        actor=actor,
        action=AuditAction.SERVICE_IN_USE,
        target=service,
        old={"status": ServiceStatus.PLANNED},
        new={"status": ServiceStatus.IN_USE, "in_use_from": on},
    )
    return service


# --- kengen run-due ----------------------------------------------------------------------------


def _remind(recipients: list[Person], *, clause: str, subject: str, body: str, target: Model) -> None:
    notification_send(recipients=recipients, clause=clause, subject=subject, body=body, target=target)


def outsourcing_run_due(*, today: dt.date) -> dict[str, int]:
    """What falls due with time, once each (re-checked under a row lock):

    - reliability evidence expiring within ``EVIDENCE_REMINDER_DAYS``: the responsible section's
      security officers are reminded; expired evidence is noted and brings the re-assessment
      forward (A13.1(5));
    - re-assessments due within ``REVIEW_REMINDER_DAYS`` and checklist reviews due are reminded
      (A13.1, A12.1(2));
    - contracts whose period is over end, and with them their maintenance staff's IDs (A5.9)."""
    counts = {
        "evidence_reminders": 0,
        "evidence_expired": 0,
        "reassessment_reminders": 0,
        "review_reminders": 0,
        "contracts_ended": 0,
    }
    soon = today + dt.timedelta(days=EVIDENCE_REMINDER_DAYS)
    for pk in ReliabilityEvidence.objects.filter(
        reminded_on__isnull=True, expires_on__isnull=False, expires_on__lte=soon, expires_on__gt=today
    ).values_list("pk", flat=True):
        with transaction.atomic():
            ev = (
                ReliabilityEvidence.objects.select_for_update()
                .select_related("service")
                .filter(pk=pk, reminded_on__isnull=True)
                .first()
            )
            if ev is None or ev.expires_on is None:
                continue
            ev.reminded_on = today
            ev.save(update_fields=["reminded_on"])
            _remind(
                _officers(ev.service.organization_id, today),
                clause="A13.1",
                subject=_("Evidence expires soon: %(service)s") % {"service": ev.service.name},
                body=_(
                    "%(evidence)s of %(service)s expires on %(date)s. Obtain the new one and re-assess the service."
                )
                % {"evidence": ev, "service": ev.service, "date": wareki(ev.expires_on)},
                target=ev.service,
            )
            counts["evidence_reminders"] += 1
    for pk in ReliabilityEvidence.objects.filter(
        expiry_noted_on__isnull=True, expires_on__isnull=False, expires_on__lte=today
    ).values_list("pk", flat=True):
        with transaction.atomic():
            ev = (
                ReliabilityEvidence.objects.select_for_update()
                .select_related("service")
                .filter(pk=pk, expiry_noted_on__isnull=True)
                .first()
            )
            if ev is None or ev.expires_on is None:
                continue
            ev.expiry_noted_on = today
            ev.save(update_fields=["expiry_noted_on"])
            service = ev.service
            if service.next_assessment_on is None or service.next_assessment_on > ev.expires_on:
                service.next_assessment_on = ev.expires_on
                service.save(update_fields=["next_assessment_on"])
            _remind(
                _officers(service.organization_id, today),
                clause="A13.1",
                subject=_("Evidence expired: %(service)s") % {"service": service.name},
                body=_(
                    "%(evidence)s of %(service)s expired on %(date)s. The service is to be re-assessed now."
                )
                % {"evidence": ev, "service": service, "date": wareki(ev.expires_on)},
                target=service,
            )
            counts["evidence_expired"] += 1
    horizon = today + dt.timedelta(days=REVIEW_REMINDER_DAYS)
    for pk in (
        ExternalService.objects.exclude(status=ServiceStatus.ENDED)
        .filter(next_assessment_on__isnull=False, next_assessment_on__lte=horizon)
        .exclude(assessment_reminded_for=F("next_assessment_on"))
        .values_list("pk", flat=True)
    ):
        with transaction.atomic():
            service = ExternalService.objects.select_for_update().get(pk=pk)
            if (
                service.next_assessment_on is None
                or service.assessment_reminded_for == service.next_assessment_on
            ):
                continue
            service.assessment_reminded_for = service.next_assessment_on
            service.save(update_fields=["assessment_reminded_for"])
            _remind(
                _officers(service.organization_id, today),
                clause="A13.1",
                subject=_("Re-assessment due: %(service)s") % {"service": service.name},
                body=_("The assessment of %(service)s is due on %(date)s (Art. 13(1)).")
                % {"service": service, "date": wareki(service.next_assessment_on)},
                target=service,
            )
            counts["reassessment_reminders"] += 1
    for pk in (
        ChecklistEntry.objects.exclude(contract__status=ContractStatus.ENDED)
        .filter(review_on__isnull=False, review_on__lte=horizon)
        .exclude(review_reminded_for=F("review_on"))
        .values_list("pk", flat=True)
    ):
        with transaction.atomic():
            entry = ChecklistEntry.objects.select_for_update().select_related("contract").get(pk=pk)
            if entry.review_on is None or entry.review_reminded_for == entry.review_on:
                continue
            entry.review_reminded_for = entry.review_on
            entry.save(update_fields=["review_reminded_for"])
            _remind(
                _officers(entry.contract.organization_id, today),
                clause="A12.1",
                subject=_("Security measure review due: %(contract)s") % {"contract": entry.contract.title},
                body=_("Review “%(item)s” of %(contract)s by %(date)s.")
                % {
                    "item": entry.get_item_display(),
                    "contract": entry.contract,
                    "date": wareki(entry.review_on),
                },
                target=entry.contract,
            )
            counts["review_reminders"] += 1
    for contract in Contract.objects.exclude(status=ContractStatus.ENDED).filter(
        valid_to__lte=today, parent__isnull=True
    ):
        contract_end(actor=None, contract=contract, on=contract.valid_to, note=_("Period ended"))
        counts["contracts_ended"] += 1
    return counts
