"""Validity checks over the API (A5.10, A5.11, A6.5, A6.6): the same services as the pages."""

import base64
import binascii
import datetime as dt
from typing import Annotated, Literal

from django.http import HttpResponse
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from kengen.core.access import get_visible
from kengen.core.bounds import SINGLE_LINE, ApiDate, Id, InSchema, at_most, fits
from kengen.core.exceptions import NotFound, RuleViolation
from kengen.core.exports import streaming_export_response
from kengen.core.paging import KeysetPagination, Listing
from kengen.people.models import Person
from kengen.reviews.models import Finding, Reconciliation, ReviewCampaign, ReviewItem, ReviewSchedule
from kengen.reviews.pdf import render_check_sheet, render_evidence
from kengen.reviews.selectors import campaign_counts, campaign_matrix, campaign_progress, evidence_table
from kengen.reviews.services import (
    ColumnMapping,
    campaign_finalize,
    campaign_open,
    campaign_rerun,
    evidence_attach,
    finding_update,
    item_decide,
    items_keep_bulk,
    reconciliation_import,
    schedule_create,
)
from kengen.systems.models import System

router = Router()

#: Base64 of at most 20 MB.
B64 = Annotated[str, Field(min_length=1, max_length=28_000_000)]


class CampaignOut(Schema):
    id: int
    title: str
    kind: str
    systems: list[str]
    as_of: dt.date
    deadline: dt.date
    status: str
    rerun_of: int | None
    previous: int | None
    escalated_on: dt.date | None
    finalized_at: dt.datetime | None
    counts: dict[str, int]


class ReviewSectionOut(Schema):
    section_id: int | None
    name: str
    total: int
    decided: int


class ItemOut(Schema):
    id: int
    kind: str
    person_id: int | None
    organization_id: int | None
    route: str
    user_id: str | None
    permission: str | None
    basis: str | None
    is_new: bool
    decision: str
    reason: str
    correct_to: dt.date | None
    decided_at: dt.datetime | None
    escalated: bool
    outcome: str


class CampaignIn(InSchema):
    title: Annotated[str, fits(ReviewCampaign, "title", min_length=1), SINGLE_LINE]
    kind: Literal["systems", "terminals"] = "systems"
    systems: Annotated[list[Id], Field(min_length=1, max_length=100)]
    as_of: ApiDate
    deadline: ApiDate
    remind_days: Annotated[int, Field(ge=0, le=90)] = 7


class DecisionIn(InSchema):
    decision: Literal["keep", "revoke", "correct"]
    reason: Annotated[str, fits(ReviewItem, "reason"), SINGLE_LINE] = ""
    correct_to: ApiDate | None = None


class BulkKeepIn(InSchema):
    person: Id | None = None
    section: Id | None = None


class RerunIn(InSchema):
    deadline: ApiDate


class ReviewEvidenceIn(InSchema):
    filename: Annotated[str, at_most(200, min_length=1), SINGLE_LINE]
    content_base64: B64
    section: Id | None = None


class EvidenceOut(Schema):
    id: int
    filename: str
    content_type: str
    sha256: str
    size: int


class ReviewScheduleIn(InSchema):
    title: Annotated[str, fits(ReviewSchedule, "title", min_length=1), SINGLE_LINE]
    kind: Literal["systems", "terminals"] = "systems"
    systems: Annotated[list[Id], Field(min_length=1, max_length=100)]
    next_on: ApiDate
    interval_months: Annotated[int, Field(ge=1, le=60)] = 12
    deadline_days: Annotated[int, Field(ge=1, le=365)] = 30


class ScheduleOut(Schema):
    id: int
    title: str
    kind: str
    systems: list[str]
    next_on: dt.date
    interval_months: int
    deadline_days: int
    is_active: bool


class FinalizeOut(Schema):
    kept: int
    revoked: int
    corrected: int
    already_ended: int
    undecided: int
    grants_ended: list[int]


class ReconcileIn(InSchema):
    system: Id
    as_of: ApiDate
    filename: Annotated[str, at_most(200, min_length=1), SINGLE_LINE]
    content_base64: B64
    user_id_column: Annotated[str, at_most(100, min_length=1), SINGLE_LINE]
    permissions_column: Annotated[str, at_most(100), SINGLE_LINE] = ""
    last_sign_in_column: Annotated[str, at_most(100), SINGLE_LINE] = ""
    separator: Annotated[str, at_most(3), SINGLE_LINE] = ";"
    unused_days: Annotated[int, Field(ge=1, le=36500)] | None = None


class ReconciliationOut(Schema):
    id: int
    system: str
    as_of: dt.date
    filename: str
    row_count: int
    unused_days: int | None
    findings: dict[str, int]


class FindingOut(Schema):
    id: int
    category: str
    user_id: str
    person_id: int | None
    on_system: str
    in_file: str
    last_sign_in: dt.date | None
    status: str
    note: str


class FindingIn(InSchema):
    status: Literal["task", "done", "accepted"]
    note: Annotated[str, fits(Finding, "note"), SINGLE_LINE] = ""


def _ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR")


def _campaign(request, campaign_id: int) -> ReviewCampaign:
    return get_visible(ReviewCampaign, request.auth, pk=campaign_id, ip_address=_ip(request))


def _campaign_out(request, c: ReviewCampaign) -> CampaignOut:
    return CampaignOut(
        id=c.pk,
        title=c.title,
        kind=c.kind,
        systems=[s.code for s in c.systems.all()],
        as_of=c.as_of,
        deadline=c.deadline,
        status=c.status,
        rerun_of=c.rerun_of_id,
        previous=c.previous_id,
        escalated_on=c.escalated_on,
        finalized_at=c.finalized_at,
        counts=campaign_counts(request.auth, c),
    )


def _item_out(i: ReviewItem) -> ItemOut:
    g = i.grant
    return ItemOut(
        id=i.pk,
        kind=i.kind,
        person_id=i.person_id,
        organization_id=i.organization_id,
        route=i.route,
        user_id=g.account.user_id if g else None,
        permission=f"{g.permission.system.code}:{g.permission.code}" if g else None,
        basis=f"{g.basis} {g.basis_reference}".strip() if g else None,
        is_new=i.is_new,
        decision=i.decision,
        reason=i.reason,
        correct_to=i.correct_to,
        decided_at=i.decided_at,
        escalated=i.escalated,
        outcome=i.outcome,
    )


def _systems(ids: list[int]) -> list[System]:
    found = {s.pk: s for s in System.objects.filter(pk__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise RuleViolation(f"Unknown system {missing[0]}.", field="systems")
    return [found[i] for i in ids]


def _b64(value: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise RuleViolation("content_base64 is not valid base64.", field="content_base64") from None


@router.get("", response=list[CampaignOut], summary="Validity checks the caller may see (A5.10)")
@paginate(KeysetPagination)
def list_campaigns(request):
    qs = ReviewCampaign.objects.restrict(request.auth).prefetch_related("systems")
    return Listing(qs, ["-opened_at", "-pk"], to_out=lambda page: [_campaign_out(request, c) for c in page])


@router.post("", response={201: CampaignOut}, summary="Open a validity check (administrator, A5.10/A6.5)")
def open_campaign(request, body: CampaignIn):
    c = campaign_open(
        actor=request.auth,
        title=body.title,
        systems=_systems(body.systems),
        as_of=body.as_of,
        deadline=body.deadline,
        kind=body.kind,
        remind_days=body.remind_days,
    )
    return Status(201, _campaign_out(request, c))


def _schedule_out(s: ReviewSchedule) -> ScheduleOut:
    return ScheduleOut(
        id=s.pk,
        title=s.title,
        kind=s.kind,
        systems=[x.code for x in s.systems.all()],
        next_on=s.next_on,
        interval_months=s.interval_months,
        deadline_days=s.deadline_days,
        is_active=s.is_active,
    )


@router.get("/schedules", response=list[ScheduleOut], summary="Scheduled validity checks")
@paginate(KeysetPagination)
def list_schedules(request):
    qs = ReviewSchedule.objects.restrict(request.auth).prefetch_related("systems")
    return Listing(
        qs,
        ["next_on", "pk"],
        to_out=lambda page: [_schedule_out(s) for s in page],
    )


@router.post("/schedules", response={201: ScheduleOut}, summary="Schedule validity checks (administrator)")
def create_schedule(request, body: ReviewScheduleIn):
    s = schedule_create(
        actor=request.auth,
        title=body.title,
        systems=_systems(body.systems),
        next_on=body.next_on,
        interval_months=body.interval_months,
        deadline_days=body.deadline_days,
        kind=body.kind,
    )
    return Status(201, _schedule_out(s))


def _reconciliation_out(r: Reconciliation) -> ReconciliationOut:
    from django.db.models import Count

    counts = dict(r.findings.values_list("category").annotate(n=Count("id")).order_by())
    return ReconciliationOut(
        id=r.pk,
        system=r.system.code,
        as_of=r.as_of,
        filename=r.filename,
        row_count=r.row_count,
        unused_days=r.unused_days,
        findings=counts,
    )


@router.get("/reconciliations", response=list[ReconciliationOut], summary="Reconciliations with systems")
@paginate(KeysetPagination)
def list_reconciliations(request):
    qs = Reconciliation.objects.restrict(request.auth).select_related("system")
    return Listing(qs, ["-created_at", "-pk"], to_out=lambda page: [_reconciliation_out(r) for r in page])


@router.post(
    "/reconciliations",
    response={201: ReconciliationOut},
    summary="Compare a system's account export with the management file (administrator, A5.10)",
)
def reconcile(request, body: ReconcileIn):
    system = System.objects.filter(pk=body.system).first()
    if system is None:
        raise NotFound("Not found.")
    run = reconciliation_import(
        actor=request.auth,
        system=system,
        as_of=body.as_of,
        content=_b64(body.content_base64),
        filename=body.filename,
        mapping=ColumnMapping(
            user_id=body.user_id_column,
            permissions=body.permissions_column,
            last_sign_in=body.last_sign_in_column,
            separator=body.separator,
        ),
        unused_days=body.unused_days,
    )
    return Status(201, _reconciliation_out(run))


def _finding_out(f: Finding) -> FindingOut:
    return FindingOut(
        id=f.pk,
        category=f.category,
        user_id=f.user_id,
        person_id=f.person_id,
        on_system=f.on_system,
        in_file=f.in_file,
        last_sign_in=f.last_sign_in,
        status=f.status,
        note=f.note,
    )


@router.get(
    "/reconciliations/{int:reconciliation_id}/findings",
    response=list[FindingOut],
    summary="Findings of a reconciliation",
)
@paginate(KeysetPagination)
def list_findings(request, reconciliation_id: Id, category: str | None = None):
    run = get_visible(Reconciliation, request.auth, pk=reconciliation_id, ip_address=_ip(request))
    qs = Finding.objects.restrict(request.auth).filter(reconciliation=run)
    if category:
        qs = qs.filter(category=category[:20])
    return Listing(qs, ["category", "user_id", "pk"], to_out=lambda page: [_finding_out(f) for f in page])


@router.post(
    "/findings/{int:finding_id}",
    response=FindingOut,
    summary="Make a finding a correction task, mark it done, or accept it with a reason (A5.11)",
)
def update_finding(request, finding_id: Id, body: FindingIn):
    f = get_visible(Finding, request.auth, pk=finding_id, ip_address=_ip(request))
    return _finding_out(finding_update(actor=request.auth, finding=f, status=body.status, note=body.note))


@router.get("/{int:campaign_id}", response=CampaignOut, summary="One validity check")
def get_campaign(request, campaign_id: Id):
    return _campaign_out(request, _campaign(request, campaign_id))


@router.get("/{int:campaign_id}/progress", response=list[ReviewSectionOut], summary="Progress per section")
def progress(request, campaign_id: Id):
    c = _campaign(request, campaign_id)
    return [
        ReviewSectionOut(section_id=s.section_id, name=s.name, total=s.total, decided=s.decided)
        for s in campaign_progress(request.auth, c)
    ]


@router.get(
    "/{int:campaign_id}/items",
    response=list[ItemOut],
    summary="Items the caller may see or decide, by person",
)
@paginate(KeysetPagination)
def list_items(request, campaign_id: Id, undecided: bool | None = None, person: Id | None = None):
    c = _campaign(request, campaign_id)
    qs = (
        ReviewItem.objects.restrict(request.auth)
        .filter(campaign=c)
        .select_related("grant__account", "grant__permission__system")
    )
    if undecided:
        qs = qs.undecided()
    if person:
        qs = qs.filter(person_id=person)
    return Listing(qs, ["pk"], to_out=lambda page: [_item_out(i) for i in page])


@router.post(
    "/{int:campaign_id}/items/{int:item_id}", response=ItemOut, summary="Keep, revoke or correct an item"
)
def decide(request, campaign_id: Id, item_id: Id, body: DecisionIn):
    c = _campaign(request, campaign_id)
    item = ReviewItem.objects.restrict(request.auth).filter(campaign=c, pk=item_id).first()
    if item is None:
        raise NotFound("Not found.")
    done = item_decide(
        actor=request.auth, item=item, decision=body.decision, reason=body.reason, correct_to=body.correct_to
    )
    done = ReviewItem.objects.select_related("grant__account", "grant__permission__system").get(pk=done.pk)
    return _item_out(done)


@router.post(
    "/{int:campaign_id}/keep", response=dict[str, int], summary="Keep all of an unchanged person or section"
)
def keep_bulk(request, campaign_id: Id, body: BulkKeepIn):
    c = _campaign(request, campaign_id)
    person = (
        get_visible(Person, request.auth, pk=body.person, ip_address=_ip(request)) if body.person else None
    )
    return {"kept": items_keep_bulk(actor=request.auth, campaign=c, person=person, section=body.section)}


@router.post("/{int:campaign_id}/finalize", response=FinalizeOut, summary="Apply the decisions (A5.11, A6.6)")
def finalize(request, campaign_id: Id):
    c = _campaign(request, campaign_id)
    return FinalizeOut(**campaign_finalize(actor=request.auth, campaign=c).as_dict())


@router.post("/{int:campaign_id}/rerun", response={201: CampaignOut}, summary="Re-run over undecided items")
def rerun(request, campaign_id: Id, body: RerunIn):
    c = _campaign(request, campaign_id)
    return Status(
        201, _campaign_out(request, campaign_rerun(actor=request.auth, campaign=c, deadline=body.deadline))
    )


@router.post(
    "/{int:campaign_id}/evidence", response={201: EvidenceOut}, summary="Attach a signed check sheet scan"
)
def attach(request, campaign_id: Id, body: ReviewEvidenceIn):
    c = _campaign(request, campaign_id)
    e = evidence_attach(
        actor=request.auth,
        campaign=c,
        filename=body.filename,
        content=_b64(body.content_base64),
        organization_id=body.section,
    )
    return Status(
        201,
        EvidenceOut(id=e.pk, filename=e.filename, content_type=e.content_type, sha256=e.sha256, size=e.size),
    )


@router.get("/{int:campaign_id}/check-sheet.pdf", summary="The paper check sheet (PDF)")
def check_sheet(request, campaign_id: Id, section: Id | None = None):
    c = _campaign(request, campaign_id)
    body = render_check_sheet(c, campaign_matrix(request.auth, c, section=section, limit=20000))
    return HttpResponse(body, content_type="application/pdf")


@router.get("/{int:campaign_id}/evidence.pdf", summary="Evidence of the validity check (PDF)")
def evidence_pdf(request, campaign_id: Id):
    c = _campaign(request, campaign_id)
    return HttpResponse(render_evidence(request.auth, c), content_type="application/pdf")


@router.get("/{int:campaign_id}/evidence.xlsx", summary="Evidence of the validity check (Excel, streamed)")
def evidence_xlsx(request, campaign_id: Id):
    c = _campaign(request, campaign_id)
    return streaming_export_response(evidence_table(request.auth, c), "xlsx", f"validity-check-{c.pk}")
