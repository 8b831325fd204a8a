import datetime as dt
from typing import Annotated

from django.http import HttpResponse
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from kengen.applications.choices import ApplicationStatus, LineAction
from kengen.applications.models import Application, NetworkUserRegistration
from kengen.applications.pdf import render_form1
from kengen.applications.services import (
    LineSpec,
    application_copy,
    application_create,
    application_line_problems,
    application_register,
    application_reject,
    application_submit,
    application_update,
    application_withdraw,
    network_registration_record,
)
from kengen.core.access import get_visible
from kengen.core.api_schemas import Period, period
from kengen.core.bounds import (
    MAX_APPLICATION_LINES,
    MAX_LIST_ITEMS,
    SINGLE_LINE,
    TEXT_AREA,
    ApiDate,
    Code,
    Id,
    InSchema,
    fits,
)
from kengen.core.exceptions import RuleViolation
from kengen.core.paging import KeysetPagination, Listing
from kengen.grants.choices import Purpose
from kengen.organizations.models import Organization
from kengen.people.models import Person
from kengen.systems.models import System, SystemPermission
from kengen.workflow.api import Decide, EndpointNames, workflow_endpoints

router = Router()


class LineIn(InSchema):
    person_id: Id
    system: Code  # system code (a business system for COKAS-R/ADⅡ)
    permissions: list[Code] = Field(..., max_length=MAX_LIST_ITEMS)  # permission codes of that system
    action: LineAction = LineAction.REGISTER
    valid_from: ApiDate
    valid_to: ApiDate | None = None  # exclusive: the first day no longer valid


class ApplicationIn(InSchema):
    organization_id: Id
    system: Code
    lines: list[LineIn] = Field(..., min_length=1, max_length=MAX_APPLICATION_LINES)
    purpose: Purpose = Purpose.DUTIES
    purpose_note: Annotated[str, fits(Application, "purpose_note"), SINGLE_LINE] = ""
    reason: Annotated[str, fits(Application, "reason"), TEXT_AREA] = ""


class ProblemOut(Schema):
    """What submission would refuse about a line: the message, the clause, the field."""

    message: str
    clause: str | None
    field: str | None


class LineOut(Schema):
    id: int
    person_id: int
    person: str
    system: str
    permissions: list[str]
    action: str
    period: Period
    user_id: str
    #: What submission and registration would refuse about this line (drafts and submitted ones).
    problems: list[ProblemOut] = []


class ApplicationOut(Schema):
    id: int
    number: str
    organization_id: int
    system: str
    route: str
    status: str
    purpose: str
    purpose_note: str
    reason: str
    applicant_id: int | None
    submitted_at: dt.datetime | None
    decided_at: dt.datetime | None
    rejection_reason: str
    lines: list[LineOut]


class ApplicationPatchIn(InSchema):
    """A draft's new content: its lines replace the old ones as a whole."""

    organization_id: Id | None = None
    lines: list[LineIn] = Field(..., min_length=1, max_length=MAX_APPLICATION_LINES)
    purpose: Purpose = Purpose.DUTIES
    purpose_note: Annotated[str, fits(Application, "purpose_note"), SINGLE_LINE] = ""
    reason: Annotated[str, fits(Application, "reason"), TEXT_AREA] = ""


class RegisterIn(InSchema):
    user_ids: dict[Id, Code] = Field({}, max_length=MAX_APPLICATION_LINES)


class RejectIn(InSchema):
    reason: Annotated[str, fits(Application, "rejection_reason"), TEXT_AREA]


class NetworkRegistrationIn(InSchema):
    filed_on: ApiDate
    reference: Annotated[str, fits(NetworkUserRegistration, "reference"), SINGLE_LINE]


class NetworkRegistrationOut(Schema):
    id: int
    person_id: int
    filed_on: dt.date
    reference: str


def _out(app: Application, *, with_problems: bool = True) -> ApplicationOut:
    problems = (
        application_line_problems(app)
        if with_problems and app.status in (ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED)
        else {}
    )
    lines = [
        LineOut(
            id=li.id,
            person_id=li.person_id,
            person=li.person.full_name,
            system=li.system.code,
            permissions=[p.code for p in li.permissions.all()],
            action=li.action,
            period=period(li),
            user_id=li.user_id,
            problems=[
                ProblemOut(message=str(p.message), clause=p.clause, field=p.field)
                for p in problems.get(li.id, [])
            ],
        )
        for li in app.lines.select_related("person", "system").prefetch_related("permissions")
    ]
    return ApplicationOut(
        id=app.id,
        number=app.number,
        organization_id=app.organization_id,
        system=app.system.code,
        route=app.route,
        status=app.status,
        purpose=app.purpose,
        purpose_note=app.purpose_note,
        reason=app.reason,
        applicant_id=app.applicant_id,
        submitted_at=app.submitted_at,
        decided_at=app.decided_at,
        rejection_reason=app.rejection_reason,
        lines=lines,
    )


def _get(request, app_id: Id) -> Application:
    return get_visible(Application, request.auth, pk=app_id, ip_address=request.META.get("REMOTE_ADDR"))


def _lines_from(request, body_lines: list[LineIn]) -> list[LineSpec]:
    lines = []
    for i, li in enumerate(body_lines, start=1):
        person = get_visible(Person, request.auth, action="change", pk=li.person_id)
        line_system = get_visible(System, request.auth, code=li.system)
        perms = list(SystemPermission.objects.filter(system=line_system, code__in=li.permissions))
        if len(perms) != len(set(li.permissions)):
            missing = sorted(set(li.permissions) - {p.code for p in perms})
            raise RuleViolation(
                f"line {i}: {line_system.code} offers no permission {', '.join(missing)}",
                field=f"lines[{i - 1}].permissions",
            )
        lines.append(
            LineSpec(
                person=person,
                system=line_system,
                permissions=perms,
                action=li.action,
                valid_from=li.valid_from,
                valid_to=li.valid_to,
            )
        )
    return lines


@router.get("", response=list[ApplicationOut], summary="Form 1 applications the caller may see")
@paginate(KeysetPagination)
def list_applications(request, status: Code | None = None):
    qs = Application.objects.restrict(request.auth).select_related("system")
    if status:
        qs = qs.filter(status=status)
    return Listing(
        qs, ["-created_at", "-pk"], to_out=lambda page: [_out(a, with_problems=False) for a in page]
    )


@router.post("", response={201: ApplicationOut}, summary="Draft a Form 1 (security officers, A5.2)")
def create_application(request, body: ApplicationIn):
    org = get_visible(Organization, request.auth, pk=body.organization_id)
    system = get_visible(System, request.auth, code=body.system)
    lines = _lines_from(request, body.lines)
    app = application_create(
        actor=request.auth,
        organization=org,
        system=system,
        lines=lines,
        purpose=body.purpose,
        purpose_note=body.purpose_note,
        reason=body.reason,
        purpose_approved_by=request.auth.person if body.purpose == Purpose.OTHER else None,
        purpose_approved_on=dt.date.today() if body.purpose == Purpose.OTHER else None,
    )
    return Status(201, _out(app))


@router.patch(
    "/{int:app_id}",
    response=ApplicationOut,
    summary="Edit a draft (security officers): lines replace the old ones; problems come back per line",
)
def update_application(request, app_id: Id, body: ApplicationPatchIn):
    app = get_visible(Application, request.auth, action="change", pk=app_id)
    org = get_visible(Organization, request.auth, pk=body.organization_id) if body.organization_id else None
    app = application_update(
        actor=request.auth,
        application=app,
        organization=org,
        lines=_lines_from(request, body.lines),
        purpose=body.purpose,
        purpose_note=body.purpose_note,
        reason=body.reason,
        purpose_approved_by=request.auth.person if body.purpose == Purpose.OTHER else None,
        purpose_approved_on=dt.date.today() if body.purpose == Purpose.OTHER else None,
    )
    return _out(app)


@router.post(
    "/{int:app_id}/copy",
    response={201: ApplicationOut},
    summary="Copy a rejected or withdrawn application to a new draft",
)
def copy_application(request, app_id: Id):
    app = get_visible(Application, request.auth, action="change", pk=app_id)
    return Status(201, _out(application_copy(actor=request.auth, application=app)))


workflow_endpoints(
    router,
    names=EndpointNames(
        module=__name__,
        get="get_application",
        submit="submit",
        withdraw="withdraw",
        decide="register",
        reject="reject",
    ),
    fetch=_get,
    out=_out,
    response=ApplicationOut,
    submit=application_submit,
    withdraw=application_withdraw,
    decide=Decide(
        "register",
        application_register,
        body=RegisterIn,
        summary="Register in the management file (A5.4)",
        decided=lambda result: result.application,
    ),
    reject=application_reject,
    reject_body=RejectIn,
)


@router.get("/{int:app_id}/form1.pdf", summary="別記様式1 as PDF")
def form1_pdf(request, app_id: Id):
    response = HttpResponse(render_form1(_get(request, app_id)), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="form1-{app_id}.pdf"'
    return response


@router.post(
    "/network-registrations/{int:person_id}",
    response={201: NetworkRegistrationOut},
    summary="Record a network user registration application (A5.3)",
)
def record_network_registration(request, person_id: Id, body: NetworkRegistrationIn):
    person = get_visible(Person, request.auth, action="change", pk=person_id)
    reg = network_registration_record(
        actor=request.auth, person=person, filed_on=body.filed_on, reference=body.reference
    )
    return Status(
        201,
        NetworkRegistrationOut(
            id=reg.id, person_id=person.id, filed_on=reg.filed_on, reference=reg.reference
        ),
    )
