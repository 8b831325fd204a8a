"""The outsourcing API (``/api/v1/outsourcing``): contracts and their checklist, staff and
responsibilities (A12.1, A5.9), the responsibility matrix, consultations with the IT division head
(A12.2, A13.2) and subcontracting permissions (A12.1(1)) on the shared workflow, external services
and their assessments (A13.1), and the contractor register (the configuration administrator).

The same services as the UI; refusals map to 404/403/409/422 in ``kengen.api``. Evidence files
are uploaded as multipart (size and type checked by ``services.evidence_check``, as in the UI),
listed by name, size and hash, and downloaded only by those who may see their contract or
service."""

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Router, Schema, Status
from ninja.constants import NOT_SET
from ninja.files import UploadedFile
from ninja.pagination import paginate

from kengen.contractors.models import Contractor
from kengen.core.access import audit_refusal, get_visible
from kengen.core.bounds import SINGLE_LINE, TEXT_AREA, ApiDate, Code, Id, InSchema, fits
from kengen.core.exceptions import NotFound
from kengen.core.paging import KeysetPagination, Listing
from kengen.organizations.models import Organization
from kengen.outsourcing import pdf
from kengen.outsourcing.choices import (
    CheckState,
    ConsultationAnswer,
    EvidenceKind,
    WorkKind,
)
from kengen.outsourcing.models import (
    ChecklistEntry,
    Consultation,
    Contract,
    ExternalService,
    ReliabilityEvidence,
    ServiceAssessment,
    SubcontractPermission,
)
from kengen.outsourcing.responses import evidence_response
from kengen.outsourcing.selectors import contract_accounts, responsibility_matrix, visible_evidence_files
from kengen.outsourcing.services import (
    assessment_record,
    checklist_update,
    consultation_complete,
    consultation_create,
    consultation_reject,
    consultation_submit,
    consultation_withdraw,
    contract_activate,
    contract_create,
    contract_end,
    contract_staff_add,
    contract_update,
    contractor_update,
    evidence_add,
    evidence_upload,
    responsibility_set,
    service_create,
    service_start_use,
    subcontract_permission_create,
    subcontract_permission_grant,
    subcontract_permission_reject,
    subcontract_permission_submit,
    subcontract_permission_withdraw,
)
from kengen.people.choices import PersonKind
from kengen.people.models import Person
from kengen.roles.selectors import scope_for
from kengen.systems.models import System
from kengen.workflow.api import Decide, EndpointNames, workflow_endpoints

router = Router()
consultations = Router()
subcontracts = Router()

Line = Annotated[str, fits(Contract, "title"), SINGLE_LINE]
Text = Annotated[str, fits(ServiceAssessment, "information"), TEXT_AREA]


def _ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR")


def _contract(request, pk: int, action: str = "view") -> Contract:
    return get_visible(Contract, request.auth, action=action, pk=pk, ip_address=_ip(request))


def _service(request, pk: int) -> ExternalService:
    return get_visible(ExternalService, request.auth, pk=pk, ip_address=_ip(request))


def _contractor_any(pk: int, field: str = "contractor") -> Contractor:
    found = Contractor.objects.filter(pk=pk).first()
    if found is None:
        raise NotFound(_("No such contractor."), field=field)
    return found


def _organization(pk: int) -> Organization:
    found = Organization.objects.filter(pk=pk).first()
    if found is None:
        raise NotFound(_("No such unit."), field="organization")
    return found


# --- contracts ---------------------------------------------------------------------------------


class ChecklistOut(Schema):
    id: int
    item: str
    state: str
    note: str
    review_on: dt.date | None
    files: list[dict]


class ContractOut(Schema):
    id: int
    contractor_id: int
    contractor: str
    parent_id: int | None
    title: str
    work: str
    systems: list[str]
    organization_id: int
    valid_from: dt.date
    valid_to: dt.date
    status: str
    ended_on: dt.date | None


class ContractDetailOut(ContractOut):
    checklist: list[ChecklistOut]
    staff: list[dict]
    accounts: list[dict]
    responsibilities: list[dict]
    consultations: list[str]


def _contract_out(c: Contract) -> ContractOut:
    return ContractOut(
        id=c.pk,
        contractor_id=c.contractor_id,
        contractor=c.contractor.name,
        parent_id=c.parent_id,
        title=c.title,
        work=c.work,
        systems=[s.code for s in c.systems.all()],
        organization_id=c.organization_id,
        valid_from=c.valid_from,
        valid_to=c.valid_to,
        status=c.status,
        ended_on=c.ended_on,
    )


def _contract_detail(c: Contract) -> ContractDetailOut:
    return ContractDetailOut(
        **_contract_out(c).dict(),
        checklist=[
            ChecklistOut(
                id=e.pk,
                item=e.item,
                state=e.state,
                note=e.note,
                review_on=e.review_on,
                files=[
                    {"id": f.pk, "name": f.name, "size": f.size, "sha256": f.sha256} for f in e.files.all()
                ],
            )
            for e in c.checklist.prefetch_related("files")
        ],
        staff=[
            {
                "person_id": s.person_id,
                "name": s.person.full_name,
                "valid_from": s.valid_from,
                "valid_to": s.valid_to,
            }
            for s in c.staff.select_related("person")
        ],
        accounts=[
            {
                "user_id": a.user_id,
                "system": a.system.code,
                "valid_from": a.valid_from,
                "valid_to": a.valid_to,
            }
            for a in contract_accounts(c)
        ],
        responsibilities=[
            {
                "system": r.system.code,
                "duties": r.duties,
                "contact": r.contact,
                "coordination": r.coordination,
            }
            for r in c.responsibilities.select_related("system")
        ],
        consultations=[k.number for k in c.consultations.all()],
    )


class ContractIn(InSchema):
    contractor_id: Id
    title: Line
    work: WorkKind
    systems: Annotated[list[Code], Field(min_length=1, max_length=50)]
    organization_id: Id
    valid_from: ApiDate
    valid_to: ApiDate


@router.get("/contracts", response=list[ContractOut], summary="The outsourcing register (A12)")
@paginate(KeysetPagination)
def list_contracts(request, status: Code | None = None):
    qs = Contract.objects.restrict(request.auth).select_related("contractor").prefetch_related("systems")
    if status:
        qs = qs.filter(status=status)
    return Listing(qs, ["-valid_from", "-pk"], to_out=lambda page: [_contract_out(c) for c in page])


@router.post(
    "/contracts", response={201: ContractDetailOut}, summary="Register a contract, not yet active (A12.1)"
)
def create_contract(request, body: ContractIn):
    contract = contract_create(
        actor=request.auth,
        contractor=_contractor_any(body.contractor_id),
        title=body.title,
        work=body.work,
        systems=_systems(body.systems),
        organization=_organization(body.organization_id),
        valid_from=body.valid_from,
        valid_to=body.valid_to,
    )
    return Status(201, _contract_detail(contract))


def _systems(codes: list[str]) -> list[System]:
    systems = list(System.objects.filter(code__in=codes))
    if len({s.code for s in systems}) != len(set(codes)):
        raise NotFound(_("No such system."), field="systems")
    return systems


class ContractChangeIn(InSchema):
    """What changes (fields left out stay as they are)."""

    title: Line | None = None
    work: WorkKind | None = None
    systems: Annotated[list[Code], Field(min_length=1, max_length=50)] | None = None
    organization_id: Id | None = None
    valid_from: ApiDate | None = None
    valid_to: ApiDate | None = None


@router.patch(
    "/contracts/{int:contract_id}",
    response=ContractDetailOut,
    summary="Change a contract (A12.1); shortening it cuts maintenance IDs back (A5.9)",
)
def change_contract(request, contract_id: Id, body: ContractChangeIn):
    contract = contract_update(
        actor=request.auth,
        contract=_contract(request, contract_id, "change"),
        title=body.title,
        work=body.work,
        systems=None if body.systems is None else _systems(body.systems),
        organization=None if body.organization_id is None else _organization(body.organization_id),
        valid_from=body.valid_from,
        valid_to=body.valid_to,
    )
    return _contract_detail(contract)


@router.get("/contracts/{int:contract_id}", response=ContractDetailOut)
def get_contract(request, contract_id: Id):
    return _contract_detail(_contract(request, contract_id))


@router.post(
    "/contracts/{int:contract_id}/activate",
    response=ContractDetailOut,
    summary="Activate a contract: only after the IT division head's answer (A12.2)",
)
def activate_contract(request, contract_id: Id):
    return _contract_detail(contract_activate(actor=request.auth, contract=_contract(request, contract_id)))


class EndIn(InSchema):
    on: ApiDate
    note: Annotated[str, fits(Contract, "end_note"), SINGLE_LINE] = ""


@router.post(
    "/contracts/{int:contract_id}/end",
    response=ContractDetailOut,
    summary="End a contract; its maintenance staff's IDs and permissions end with it (A5.9)",
)
def end_contract(request, contract_id: Id, body: EndIn):
    return _contract_detail(
        contract_end(actor=request.auth, contract=_contract(request, contract_id), on=body.on, note=body.note)
    )


class StaffIn(InSchema):
    person_id: Id
    valid_from: ApiDate | None = None
    valid_to: ApiDate | None = None


@router.post(
    "/contracts/{int:contract_id}/staff", response=ContractDetailOut, summary="Add maintenance staff (A5.9)"
)
def add_staff(request, contract_id: Id, body: StaffIn):
    contract = _contract(request, contract_id)
    person = Person.objects.filter(pk=body.person_id, kind=PersonKind.MAINTENANCE).first()
    if person is None:
        raise NotFound(_("No such maintenance staff member."), field="person_id")
    contract_staff_add(
        actor=request.auth,
        contract=contract,
        person=person,
        valid_from=body.valid_from,
        valid_to=body.valid_to,
    )
    return _contract_detail(contract)


class ResponsibilityIn(InSchema):
    system: Code
    duties: Text
    contact: Annotated[str, fits(Contract, "title"), SINGLE_LINE]
    coordination: Text = ""


@router.put(
    "/contracts/{int:contract_id}/responsibilities",
    response=ContractDetailOut,
    summary="Record a contractor's responsibility on a system (A12.1(3))",
)
def set_responsibility(request, contract_id: Id, body: ResponsibilityIn):
    contract = _contract(request, contract_id)
    system = System.objects.filter(code=body.system).first()
    if system is None:
        raise NotFound(_("No such system."), field="system")
    responsibility_set(
        actor=request.auth,
        contract=contract,
        system=system,
        duties=body.duties,
        contact=body.contact,
        coordination=body.coordination,
    )
    return _contract_detail(contract)


class ChecklistIn(InSchema):
    state: CheckState
    review_on: ApiDate | None = None
    note: Text = ""


@router.patch(
    "/checklist/{int:entry_id}",
    response=ChecklistOut,
    summary="Record a security measure and its review (A12.1(2))",
)
def update_checklist(request, entry_id: Id, body: ChecklistIn):
    entry = get_visible(ChecklistEntry, request.auth, pk=entry_id, ip_address=_ip(request))
    entry = checklist_update(
        actor=request.auth, entry=entry, state=body.state, note=body.note, review_on=body.review_on
    )
    return ChecklistOut(
        id=entry.pk,
        item=entry.item,
        state=entry.state,
        note=entry.note,
        review_on=entry.review_on,
        files=[{"id": f.pk, "name": f.name, "size": f.size, "sha256": f.sha256} for f in entry.files.all()],
    )


class MatrixRowOut(Schema):
    system: str
    contract_id: int
    contractor: str
    duties: str | None
    contact: str | None
    coordination: str | None


@router.get("/matrix", response=list[MatrixRowOut], summary="Responsibility matrix per system (A12.1(3))")
def matrix(request, on: ApiDate | None = None):
    rows = responsibility_matrix(Contract.objects.restrict(request.auth), on=on or timezone.localdate())
    return [
        MatrixRowOut(
            system=system.code,
            contract_id=r.contract.pk,
            contractor=r.contract.contractor.name,
            duties=r.responsibility.duties if r.responsibility else None,
            contact=r.responsibility.contact if r.responsibility else None,
            coordination=r.responsibility.coordination if r.responsibility else None,
        )
        for system, items in rows
        for r in items
    ]


# --- external services -------------------------------------------------------------------------


class ServiceOut(Schema):
    id: int
    name: str
    provider: str
    organization_id: int
    status: str
    in_use_from: dt.date | None
    reassess_months: int
    next_assessment_on: dt.date | None
    evidence: list[dict]
    assessments: list[dict]


def _service_out(s: ExternalService) -> ServiceOut:
    return ServiceOut(
        id=s.pk,
        name=s.name,
        provider=s.provider,
        organization_id=s.organization_id,
        status=s.status,
        in_use_from=s.in_use_from,
        reassess_months=s.reassess_months,
        next_assessment_on=s.next_assessment_on,
        evidence=[
            {
                "id": e.pk,
                "kind": e.kind,
                "reference": e.reference,
                "issued_on": e.issued_on,
                "expires_on": e.expires_on,
            }
            for e in s.evidence.all()
        ],
        assessments=[
            {"id": a.pk, "assessed_on": a.assessed_on, "may_entrust": a.may_entrust}
            for a in s.assessments.all()
        ],
    )


class ServiceIn(InSchema):
    name: Annotated[str, fits(ExternalService, "name"), SINGLE_LINE]
    provider: Annotated[str, fits(ExternalService, "provider"), SINGLE_LINE]
    organization_id: Id
    purpose: Text = ""
    reassess_months: Annotated[int, Field(ge=1, le=60)] = 12


@router.get("/services", response=list[ServiceOut], summary="External services (A13)")
@paginate(KeysetPagination)
def list_services(request):
    qs = ExternalService.objects.restrict(request.auth)
    return Listing(qs, ["name", "pk"], to_out=lambda page: [_service_out(s) for s in page])


@router.post("/services", response={201: ServiceOut}, summary="Register an external service, planned (A13.1)")
def create_service(request, body: ServiceIn):
    service = service_create(
        actor=request.auth,
        name=body.name,
        provider=body.provider,
        organization=_organization(body.organization_id),
        purpose=body.purpose,
        reassess_months=body.reassess_months,
    )
    return Status(201, _service_out(service))


@router.get("/services/{int:service_id}", response=ServiceOut)
def get_service(request, service_id: Id):
    return _service_out(_service(request, service_id))


class AssessmentIn(InSchema):
    assessed_on: ApiDate
    information: Text
    may_entrust: bool
    foreign_law_risk: Text
    work_location: Annotated[str, fits(ServiceAssessment, "work_location"), SINGLE_LINE]
    governing_law: Annotated[str, fits(ServiceAssessment, "governing_law"), SINGLE_LINE]
    court: Annotated[str, fits(ServiceAssessment, "court"), SINGLE_LINE]
    exit_plan: Text
    security_design: Text
    reliability: Text


@router.post(
    "/services/{int:service_id}/assessments",
    response={201: ServiceOut},
    summary="Record an assessment, one section per item of A13.1",
)
def assess_service(request, service_id: Id, body: AssessmentIn):
    service = _service(request, service_id)
    data = body.dict()
    assessment_record(
        actor=request.auth,
        service=service,
        assessed_on=data.pop("assessed_on"),
        may_entrust=data.pop("may_entrust"),
        **data,
    )
    service.refresh_from_db()
    return Status(201, _service_out(service))


class EvidenceIn(InSchema):
    kind: EvidenceKind
    reference: Annotated[str, fits(ExternalService, "name"), SINGLE_LINE]
    issued_on: ApiDate
    expires_on: ApiDate | None = None


@router.post(
    "/services/{int:service_id}/evidence",
    response={201: ServiceOut},
    summary="Record reliability evidence with its expiry (A13.1(5))",
)
def add_evidence(request, service_id: Id, body: EvidenceIn):
    service = _service(request, service_id)
    evidence_add(
        actor=request.auth,
        service=service,
        kind=body.kind,
        reference=body.reference,
        issued_on=body.issued_on,
        expires_on=body.expires_on,
    )
    service.refresh_from_db()
    return Status(201, _service_out(service))


@router.post(
    "/services/{int:service_id}/start",
    response=ServiceOut,
    summary="Put a service into use: after assessment, evidence and the IT division head's answer (A13.1, A13.2)",
)
def start_service(request, service_id: Id):
    return _service_out(service_start_use(actor=request.auth, service=_service(request, service_id)))


@router.get("/services/{int:service_id}/assessment.pdf", summary="The assessment as PDF (A13.1)")
def service_assessment_pdf(request, service_id: Id):
    return pdf.response(pdf.render_assessment(_service(request, service_id)), f"assessment-{service_id}.pdf")


# --- contractors (the configuration administrator) ---------------------------------------------


class ContractorOut(Schema):
    id: int
    name: str
    kana: str
    corporate_number: str
    staff: list[dict]


def _contractor_out(c: Contractor) -> ContractorOut:
    staff = Person.objects.filter(kind=PersonKind.MAINTENANCE, contractor=c).order_by(
        "family_name_kana", "pk"
    )
    return ContractorOut(
        id=c.pk,
        name=c.name,
        kana=c.kana,
        corporate_number=c.corporate_number,
        staff=[{"person_id": p.pk, "name": p.full_name} for p in staff],
    )


def _contractors(request):
    return (
        Contractor.objects.all()
        if scope_for(request.auth).is_configurator
        else Contractor.objects.restrict(request.auth)
    )


class ContractorIn(InSchema):
    name: Annotated[str, fits(Contractor, "name"), SINGLE_LINE]
    kana: Annotated[str, fits(Contractor, "kana"), SINGLE_LINE] = ""
    corporate_number: Annotated[str, fits(Contractor, "corporate_number"), SINGLE_LINE] = ""


class StaffMemberIn(InSchema):
    family_name: Annotated[str, fits(Person, "family_name"), SINGLE_LINE]
    given_name: Annotated[str, fits(Person, "given_name"), SINGLE_LINE]
    family_name_kana: Annotated[str, fits(Person, "family_name_kana"), SINGLE_LINE]
    given_name_kana: Annotated[str, fits(Person, "given_name_kana"), SINGLE_LINE]


@router.get("/contractors", response=list[ContractorOut], summary="Contractors")
@paginate(KeysetPagination)
def list_contractors(request):
    return Listing(
        _contractors(request), ["kana", "name", "pk"], to_out=lambda page: [_contractor_out(c) for c in page]
    )


@router.post(
    "/contractors",
    response={201: ContractorOut},
    summary="Register a contractor (configuration administrator)",
)
def create_contractor(request, body: ContractorIn):
    from kengen.contractors.services import contractor_create

    return Status(201, _contractor_out(contractor_create(actor=request.auth, **body.dict())))


def _contractor(request, contractor_id: int) -> Contractor:
    found = _contractors(request).filter(pk=contractor_id).first()
    if found is None:
        raise NotFound(_("Not found."))
    return found


@router.get("/contractors/{int:contractor_id}", response=ContractorOut)
def get_contractor(request, contractor_id: Id):
    return _contractor_out(_contractor(request, contractor_id))


@router.put(
    "/contractors/{int:contractor_id}",
    response=ContractorOut,
    summary="Correct a contractor (configuration administrator)",
)
def update_contractor(request, contractor_id: Id, body: ContractorIn):
    return _contractor_out(
        contractor_update(actor=request.auth, contractor=_contractor(request, contractor_id), **body.dict())
    )


@router.post(
    "/contractors/{int:contractor_id}/staff",
    response={201: ContractorOut},
    summary="Register a maintenance staff member of the contractor (A2.5; configuration administrator)",
)
def create_contractor_staff(request, contractor_id: Id, body: StaffMemberIn):
    from kengen.people.services import person_create

    contractor = _contractor(request, contractor_id)
    person_create(actor=request.auth, kind=PersonKind.MAINTENANCE, contractor=contractor, **body.dict())
    return Status(201, _contractor_out(contractor))


# --- the two forms on the shared workflow ----------------------------------------------------


class OutsourcingFormOut(Schema):
    """What every outsourcing form on the workflow answers with."""

    id: int
    number: str
    status: str
    submitted_at: dt.datetime | None
    decided_at: dt.datetime | None
    rejection_reason: str


def _form_fields(a: Consultation | SubcontractPermission) -> dict[str, Any]:
    return {f: getattr(a, "pk" if f == "id" else f) for f in OutsourcingFormOut.model_fields}


class OutsourcingRejectIn(InSchema):
    reason: Annotated[str, fits(Consultation, "rejection_reason"), TEXT_AREA]


def _form_endpoints(
    router: Router,
    *,
    model: type[Consultation] | type[SubcontractPermission],
    noun: str,
    plural: str,
    out: Callable[[Any], Schema],
    response: type[Schema],
    list_summary: str,
    render: Callable[[Any], bytes],
    pdf_summary: str,
    submit: Callable[..., Any],
    withdraw: Callable[..., Any],
    decide: Decide[Any],
    reject: Callable[..., Any],
) -> Callable[[Any, int], Any]:
    """The list, the PDF and the workflow's detail and transition endpoints of one form (the
    create endpoint differs per form and stays beside it). Returns the form's fetch function."""

    def fetch(request, app_id: int) -> Any:
        return get_visible(model, request.auth, pk=app_id, ip_address=_ip(request))

    def list_view(request, status: Code | None = None):
        qs = model.objects.restrict(request.auth)
        if status:
            qs = qs.filter(status=status)
        return Listing(qs, ["-created_at", "-pk"], to_out=lambda page: [out(a) for a in page])

    def pdf_view(request, app_id: Id):
        return pdf.response(render(fetch(request, app_id)), f"{noun}-{app_id}.pdf")

    names = EndpointNames.of(__name__, noun, decide=decide.action)
    for path, view, name, summary, answer in (
        ("", paginate(KeysetPagination)(list_view), f"list_{plural}", list_summary, list[response]),  # type: ignore[valid-type]
        (f"/{{int:app_id}}/{noun}.pdf", pdf_view, f"{noun}_pdf", pdf_summary, None),
    ):
        view.__name__ = view.__qualname__ = name
        router.add_api_operation(
            path,
            ["GET"],
            view,
            response=answer or NOT_SET,
            operation_id=names.operation_id(name),
            summary=summary,
        )
    workflow_endpoints(
        router,
        names=names,
        fetch=fetch,
        out=out,
        response=response,
        submit=submit,
        withdraw=withdraw,
        decide=decide,
        reject=reject,
        reject_body=OutsourcingRejectIn,
    )
    return fetch


# --- the consultations (A12.2, A13.2) ----------------------------------------------------------


class ConsultationOut(OutsourcingFormOut):
    subject: str
    contract_id: int | None
    service_id: int | None
    organization_id: int
    reason: str
    answer: str
    answer_comment: str


def _consultation_out(a: Consultation) -> ConsultationOut:
    return ConsultationOut(
        **_form_fields(a),
        subject=a.subject,
        contract_id=a.contract_id,
        service_id=a.service_id,
        organization_id=a.organization_id,
        reason=a.reason,
        answer=a.answer,
        answer_comment=a.answer_comment,
    )


class ConsultationIn(InSchema):
    contract_id: Id | None = None
    service_id: Id | None = None
    reason: Annotated[str, fits(Consultation, "reason"), TEXT_AREA]


class AnswerIn(InSchema):
    answer: ConsultationAnswer
    comment: Annotated[str, fits(Consultation, "answer_comment"), TEXT_AREA] = ""


@consultations.post("", response={201: ConsultationOut}, summary="Draft a consultation (A12.2, A13.2)")
def create_consultation(request, body: ConsultationIn):
    contract = _contract(request, body.contract_id) if body.contract_id else None
    service = _service(request, body.service_id) if body.service_id else None
    app = consultation_create(actor=request.auth, contract=contract, service=service, reason=body.reason)
    return Status(201, _consultation_out(app))


_form_endpoints(
    consultations,
    model=Consultation,
    noun="consultation",
    plural="consultations",
    out=_consultation_out,
    response=ConsultationOut,
    list_summary="Consultations with the IT division head",
    render=pdf.render_consultation,
    pdf_summary="The consultation as PDF",
    submit=consultation_submit,
    withdraw=consultation_withdraw,
    decide=Decide("complete", consultation_complete, body=AnswerIn, summary="The IT division head answers"),
    reject=consultation_reject,
)


# --- subcontracting permissions (A12.1(1)) -----------------------------------------------------


class SubcontractOut(OutsourcingFormOut):
    contract_id: int
    subcontractor_id: int
    work_scope: str
    subcontract_id: int | None


def _subcontract_out(a: SubcontractPermission) -> SubcontractOut:
    return SubcontractOut(
        **_form_fields(a),
        contract_id=a.contract_id,
        subcontractor_id=a.subcontractor_id,
        work_scope=a.work_scope,
        subcontract_id=a.subcontract_id,
    )


class SubcontractIn(InSchema):
    contract_id: Id
    subcontractor_id: Id
    work_scope: Annotated[str, fits(SubcontractPermission, "work_scope"), TEXT_AREA]


@subcontracts.post(
    "", response={201: SubcontractOut}, summary="Apply for a subcontracting permission (A12.1(1))"
)
def create_subcontract(request, body: SubcontractIn):
    app = subcontract_permission_create(
        actor=request.auth,
        contract=_contract(request, body.contract_id),
        subcontractor=_contractor_any(body.subcontractor_id, "subcontractor_id"),
        work_scope=body.work_scope,
    )
    return Status(201, _subcontract_out(app))


_form_endpoints(
    subcontracts,
    model=SubcontractPermission,
    noun="subcontract",
    plural="subcontracts",
    out=_subcontract_out,
    response=SubcontractOut,
    list_summary="Subcontracting permissions",
    render=pdf.render_subcontract,
    pdf_summary="The subcontracting permission as PDF",
    submit=subcontract_permission_submit,
    withdraw=subcontract_permission_withdraw,
    decide=Decide(
        "complete", subcontract_permission_grant, summary="The security officer permits the subcontract"
    ),
    reject=subcontract_permission_reject,
)


# --- evidence files (A12.1(2), A13.1(5)) ---------------------------------------------------------


class EvidenceFileOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    sha256: str


UPLOAD = File(...)  # a multipart field named "file"


def _file_out(f) -> EvidenceFileOut:
    return EvidenceFileOut(id=f.pk, name=f.name, content_type=f.content_type, size=f.size, sha256=f.sha256)


def _read(upload: UploadedFile) -> bytes:
    from kengen.outsourcing.services import EVIDENCE_MAX_BYTES

    return upload.read(EVIDENCE_MAX_BYTES + 1)  # one byte past the limit is enough to refuse


@router.post(
    "/checklist/{int:entry_id}/files",
    response={201: EvidenceFileOut},
    summary="Attach an evidence file (PDF, PNG, JPEG; 10 MB) to a security measure (A12.1(2))",
)
def upload_checklist_file(request, entry_id: Id, file: UploadedFile = UPLOAD):
    entry = get_visible(ChecklistEntry, request.auth, pk=entry_id, ip_address=_ip(request))
    return Status(
        201,
        _file_out(evidence_upload(actor=request.auth, entry=entry, name=file.name or "", data=_read(file))),
    )


@router.post(
    "/evidence/{int:evidence_id}/files",
    response={201: EvidenceFileOut},
    summary="Attach the file of an audit report or certification (A13.1(5))",
)
def upload_reliability_file(request, evidence_id: Id, file: UploadedFile = UPLOAD):
    evidence = get_visible(ReliabilityEvidence, request.auth, pk=evidence_id, ip_address=_ip(request))
    saved = evidence_upload(actor=request.auth, reliability=evidence, name=file.name or "", data=_read(file))
    return Status(201, _file_out(saved))


@router.get("/files/{int:file_id}", summary="Download an evidence file (always as an attachment)")
def download_file(request, file_id: Id):
    from kengen.outsourcing.models import EvidenceFile

    found = visible_evidence_files(request.auth).filter(pk=file_id).first()
    if found is None:
        hidden = EvidenceFile.objects.filter(pk=file_id).first()
        if hidden is not None:
            audit_refusal(request.auth, hidden, action="view", ip_address=_ip(request))
        raise NotFound(_("Not found."))
    return evidence_response(found)
