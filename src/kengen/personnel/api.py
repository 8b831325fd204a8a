"""Personnel changes over the API: preview the consequences, then apply (or schedule) them.

``on`` is the effective date: the first day the change holds (for ``end``: the first day no longer
employed, so a retirement on 31 March is ``on = 04-01``). A future date schedules the change.
Errors: 422 with ``clause`` and ``field``, 409 on conflicts (a staff number taken, a second head,
a stale ``expected`` fingerprint), 404 for what the caller may not see, 403 without the role.
"""

import datetime as dt
from typing import Annotated, Literal

from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from kengen.core.access import get_visible
from kengen.core.bounds import MAX_LIST_ITEMS, SINGLE_LINE, ApiDate, Code, Id, InSchema, at_most
from kengen.core.exceptions import NotFound, PermissionDenied
from kengen.core.models import exclusive_end
from kengen.core.paging import KeysetPagination, Listing
from kengen.eligibility.models import EligibilityEntry
from kengen.eligibility.services import eligibility_entry_create, eligibility_entry_end
from kengen.organizations.models import Organization, Post
from kengen.organizations.services import OrganizationSpec, organization_create, post_create, post_update
from kengen.people.api import PersonOut
from kengen.people.models import Assignment, Person
from kengen.people.selectors import personnel_policy
from kengen.people.services import person_update, personnel_policy_update
from kengen.personnel.changes import NewPerson, PersonnelChange
from kengen.personnel.models import ScheduledChange
from kengen.personnel.selectors import Consequences, consequences_of, reorganization_consequences
from kengen.personnel.services import (
    AppliedChanges,
    organization_end,
    organization_reorganize,
    personnel_changes_submit,
    scheduled_change_cancel,
)
from kengen.roles.selectors import scope_for
from kengen.systems.models import System
from kengen.systems.services import system_create, system_permission_create, system_update

router = Router()

Name = Annotated[str, at_most(100, min_length=1), SINGLE_LINE]
Kana = Annotated[str, at_most(100, min_length=1), SINGLE_LINE]


class NewPersonIn(InSchema):
    staff_number: Code
    family_name: Name
    given_name: Name
    family_name_kana: Kana
    given_name_kana: Kana
    email: Annotated[str, at_most(254), SINGLE_LINE] = ""


class PersonnelChangeIn(InSchema):
    kind: Literal["hire", "appointment", "move", "end"]
    person: Id | None = None
    new_person: NewPersonIn | None = None
    employment_type: Annotated[str, at_most(20), SINGLE_LINE] = ""
    appointment_last_day: ApiDate | None = None  # inclusive, as HR lists give it
    organization: Id | None = None
    post: Code | None = None  # post code, e.g. "kacho"
    assignment: Id | None = None  # the assignment a move ends (default: the primary one)
    reason: Annotated[str, at_most(20), SINGLE_LINE] = ""  # for "end": retired, resigned, term_ended …


class PersonnelChangesIn(InSchema):
    on: ApiDate
    changes: Annotated[list[PersonnelChangeIn], at_most(MAX_LIST_ITEMS, min_length=1)]
    expected: Annotated[str, at_most(64), SINGLE_LINE] | None = (
        None  # the preview's fingerprint; refused with 409 if it changed
    )


class PersonChangeIn(InSchema):
    """A change to one person (``PATCH /personnel/people/{id}``)."""

    on: ApiDate
    kind: Literal["appointment", "move", "end"]
    employment_type: Annotated[str, at_most(20), SINGLE_LINE] = ""
    appointment_last_day: ApiDate | None = None
    organization: Id | None = None
    post: Code | None = None
    assignment: Id | None = None
    reason: Annotated[str, at_most(20), SINGLE_LINE] = ""
    expected: Annotated[str, at_most(64), SINGLE_LINE] | None = None


class RoleItemOut(Schema):
    person: int | None
    person_name: str
    role: str
    label: str
    organization: int | None
    system: int | None
    hire_staff_number: str = ""  # a new hire's (no person id yet)


class GrantItemOut(Schema):
    grant: int
    person: int
    person_name: str
    system: str
    user_id: str
    permission: str
    basis: str
    basis_reference: str
    valid_from: dt.date
    valid_to: dt.date | None
    ends_on: dt.date
    clause: str
    officers: list[int]
    note: str


class PersonItemOut(Schema):
    person: int | None
    person_name: str
    clause: str
    note: str
    user: int | None
    officers: list[int]
    hire_staff_number: str = ""  # a new hire's (no person id yet)


class ConsequencesOut(Schema):
    on: dt.date
    fingerprint: str
    roles_gained: list[RoleItemOut]
    roles_lost: list[RoleItemOut]
    direct_revocations: list[GrantItemOut]
    form1_flags: list[GrantItemOut]
    appointment_caps: list[GrantItemOut]
    network_registrations: list[PersonItemOut]
    sign_ins_to_disable: list[PersonItemOut]
    sign_ins_to_create: list[PersonItemOut]
    sign_ins_to_enable: list[PersonItemOut]
    pending_later: list[PersonItemOut]


class ResultOut(Schema):
    status: Literal["applied", "scheduled"]
    people: list[int]
    scheduled_id: int | None
    consequences: ConsequencesOut


class ScheduledOut(Schema):
    id: int
    effective_on: dt.date
    summary: str
    status: str
    person_id: int | None
    created_by: str
    created_at: dt.datetime
    error: str


def _require_personnel(user) -> None:
    if not scope_for(user).is_personnel:
        raise PermissionDenied(
            _("Only the personnel records officer (人事担当) records people, appointments and assignments."),
            clause="A14",
        )


def _change(request, body: PersonnelChangeIn | PersonChangeIn, person: Person | None) -> PersonnelChange:
    org = None
    if body.organization is not None:
        org = Organization.objects.filter(pk=body.organization).first()
        if org is None:
            raise NotFound(_("No such unit."), field="organization")
    post = None
    if body.post:
        post = Post.objects.filter(code=body.post).first()
        if post is None:
            raise NotFound(_("No such post."), field="post")
    assignment = None
    if body.assignment is not None:
        assignment = Assignment.objects.filter(pk=body.assignment, person=person).first() if person else None
        if assignment is None:
            raise NotFound(_("No such assignment of this person."), field="assignment")
    new = getattr(body, "new_person", None)
    return PersonnelChange(
        kind=body.kind,
        person=person,
        new_person=NewPerson(**new.dict()) if new is not None else None,
        employment_type=body.employment_type,
        appointment_to=exclusive_end(body.appointment_last_day),
        organization=org,
        post=post,
        assignment=assignment,
        reason=body.reason,
    )


def _person(request, pk: int | None) -> Person | None:
    if pk is None:
        return None
    return get_visible(Person, request.auth, pk=pk, ip_address=request.META.get("REMOTE_ADDR"))


def _out(c: Consequences) -> ConsequencesOut:
    return ConsequencesOut(fingerprint=c.fingerprint, **c.as_dict())


def _run(request, batch: list[PersonnelChange], on: dt.date, expected: str | None, preview: bool):
    if preview:
        return Status(200, _out(consequences_of(batch, on=on)))
    result = personnel_changes_submit(actor=request.auth, changes=batch, on=on, expected=expected)
    if isinstance(result, AppliedChanges):
        return Status(
            201,
            ResultOut(
                status="applied",
                people=[p.pk for p in result.people],
                scheduled_id=None,
                consequences=_out(result.consequences),
            ),
        )
    return Status(
        201,
        ResultOut(
            status="scheduled",
            people=[c.person.pk for c in batch if c.person],
            scheduled_id=result.pk,
            consequences=_out(consequences_of(batch, on=on, applying=result.pk)),
        ),
    )


@router.post(
    "/changes",
    response={200: ConsequencesOut, 201: ResultOut},
    summary="Preview (?preview=true) or apply/schedule personnel changes on an effective date",
)
def post_changes(request, body: PersonnelChangesIn, preview: bool = False):
    _require_personnel(request.auth)
    batch = [_change(request, c, _person(request, c.person)) for c in body.changes]
    return _run(request, batch, body.on, body.expected, preview)


@router.post("/changes/preview", response=ConsequencesOut, summary="The consequences of personnel changes")
def preview_changes(request, body: PersonnelChangesIn):
    _require_personnel(request.auth)
    batch = [_change(request, c, _person(request, c.person)) for c in body.changes]
    return _out(consequences_of(batch, on=body.on))


@router.patch(
    "/people/{int:person_id}",
    response={200: ConsequencesOut, 201: ResultOut},
    summary="Transfer/promote, appoint or end one person on an effective date",
)
def patch_person(request, person_id: Id, body: PersonChangeIn, preview: bool = False):
    _require_personnel(request.auth)
    person = _person(request, person_id)
    return _run(request, [_change(request, body, person)], body.on, body.expected, preview)


class PersonDetailsIn(InSchema):
    """Only the fields given change (a correction, a change of name)."""

    staff_number: Code | None = None
    family_name: Name | None = None
    given_name: Name | None = None
    family_name_kana: Kana | None = None
    given_name_kana: Kana | None = None
    email: Annotated[str, at_most(254), SINGLE_LINE] | None = None


@router.patch(
    "/people/{int:person_id}/details",
    response=PersonOut,
    summary="Correct or change a person's names, kana, email or staff number",
)
def patch_person_details(request, person_id: Id, body: PersonDetailsIn):
    person = _person(request, person_id)
    assert person is not None
    changes = {k: v for k, v in body.dict(exclude_unset=True).items() if v is not None}
    person = person_update(actor=request.auth, person=person, **changes)
    return PersonOut.from_orm(person)


def _scheduled_out(row: ScheduledChange) -> ScheduledOut:
    author = row.created_by
    return ScheduledOut(
        id=row.pk,
        effective_on=row.effective_on,
        summary=row.summary,
        status=row.status,
        person_id=row.person_id,
        created_by=(
            author.person.full_name if author and author.person else (author.username if author else "")
        ),
        created_at=row.created_at,
        error=row.error,
    )


@router.get(
    "/scheduled", response=list[ScheduledOut], summary="予定されている変更: scheduled personnel changes"
)
@paginate(KeysetPagination)
def list_scheduled(request, status: Annotated[str, at_most(20), SINGLE_LINE] = "scheduled"):
    rows = (
        ScheduledChange.objects.restrict(request.auth, "view")
        .filter(status=status)
        .select_related("created_by__person")
    )
    return Listing(rows, ["effective_on", "pk"], to_out=lambda page: [_scheduled_out(r) for r in page])


@router.post(
    "/scheduled/{int:scheduled_id}/cancel", response={200: ScheduledOut}, summary="Cancel a scheduled change"
)
def cancel_scheduled(request, scheduled_id: Id):
    _require_personnel(request.auth)
    row = get_visible(
        ScheduledChange, request.auth, pk=scheduled_id, ip_address=request.META.get("REMOTE_ADDR")
    )
    return Status(200, _scheduled_out(scheduled_change_cancel(actor=request.auth, scheduled=row)))


# --- Configuration (A14): units, reorganizations, posts, systems, 別表第2 ----------------------------

config_router = Router()


def _require_configurator(user) -> None:
    if not scope_for(user).is_configurator:
        raise PermissionDenied(_("Only a configuration administrator can change this."), clause="A14")


def _unit(pk: int | None, field: str = "organization") -> Organization | None:
    if pk is None:
        return None
    org = Organization.objects.filter(pk=pk).first()
    if org is None:
        raise NotFound(_("No such unit."), field=field)
    return org


class UnitIn(InSchema):
    code: Code
    name: Name
    kind: Code
    parent: Id | None = None
    kana: Annotated[str, at_most(200), SINGLE_LINE] = ""
    is_security_unit: bool = False
    valid_from: ApiDate


class UnitOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    valid_from: dt.date
    valid_to: dt.date | None


class UnitEndIn(InSchema):
    on: ApiDate  # the first day the unit no longer exists


class NewUnitIn(InSchema):
    code: Code
    name: Name
    kind: Code
    parent: Code | None = None  # code of an existing unit or of one created in the same reorganization
    is_security_unit: bool = False


class ReorganizationIn(InSchema):
    on: ApiDate
    ending: Annotated[list[Id], at_most(MAX_LIST_ITEMS, min_length=1)]
    creating: Annotated[list[NewUnitIn], at_most(MAX_LIST_ITEMS)] = []
    moves: dict[Code, Code] = {}


class ReorganizationOut(Schema):
    on: dt.date
    moving: list[dict]
    stranded: list[dict]
    children_left: list[str]
    systems_moving: list[dict]
    systems_orphaned: list[str]
    stale_table2: list[dict]
    roles_lost: list[dict]
    roles_gained: list[dict]
    blockers: bool


class PostIn(InSchema):
    code: Code
    name: Name
    is_head: bool = False
    rank: Annotated[int, Field(ge=0, le=999)] = 100
    kana: Annotated[str, at_most(100), SINGLE_LINE] = ""
    unit_kinds: Annotated[list[Code], at_most(20)] = Field(
        default_factory=list, description="kinds of unit that have the post (empty: any)"
    )


class PostPatchIn(InSchema):
    name: Name | None = None
    kana: Annotated[str, at_most(100), SINGLE_LINE] | None = None
    rank: Annotated[int, Field(ge=0, le=999)] | None = None
    unit_kinds: Annotated[list[Code], at_most(20)] | None = None


class PostOut(Schema):
    id: int
    code: str
    name: str
    is_head: bool
    rank: int
    unit_kinds: list[str]


class SystemIn(InSchema):
    code: Code
    name: Name
    kind: Code
    owner: Id
    parent: Code | None = None  # code of the core package, for its business systems
    valid_from: ApiDate
    handles_specific_personal_info: bool = False
    user_id_pattern: Annotated[str, at_most(200), SINGLE_LINE] = ""
    user_id_example: Annotated[str, at_most(64), SINGLE_LINE] = ""
    permissions: Annotated[list[tuple[Code, Name]], at_most(MAX_LIST_ITEMS)] = []


class SystemPatchIn(InSchema):
    name: Name | None = None
    user_id_pattern: Annotated[str, at_most(200), SINGLE_LINE] | None = None
    user_id_example: Annotated[str, at_most(64), SINGLE_LINE] | None = None


class SystemConfigOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    owner_id: int
    user_id_pattern: str
    user_id_example: str
    permissions: list[str]


class PermissionIn(InSchema):
    code: Code
    name: Name


class Table2In(InSchema):
    organization: Id
    scope: Annotated[str, at_most(10), SINGLE_LINE] = "all"
    units: Annotated[list[Id], at_most(MAX_LIST_ITEMS)] = []
    valid_from: ApiDate
    source: Annotated[str, at_most(100), SINGLE_LINE] = ""


class Table2Out(Schema):
    id: int
    listed_as: str
    valid_from: dt.date
    valid_to: dt.date | None


def _unit_out(o: Organization) -> UnitOut:
    return UnitOut(
        id=o.pk,
        code=o.code,
        name=o.name,
        kind=o.kind,
        parent_id=o.parent_id,
        valid_from=o.valid_from,
        valid_to=o.valid_to,
    )


def _system_out(s: System) -> SystemConfigOut:
    return SystemConfigOut(
        id=s.pk,
        code=s.code,
        name=s.name,
        kind=s.kind,
        owner_id=s.owner_id,
        user_id_pattern=s.user_id_pattern,
        user_id_example=s.user_id_example,
        permissions=list(s.permissions.values_list("code", flat=True)),
    )


def _system(code: str) -> System:
    system = System.objects.filter(code=code).first()
    if system is None:
        raise NotFound(_("No such system."), field="system")
    return system


@config_router.post("/organizations", response={201: UnitOut}, summary="Start a unit on a date")
def create_unit(request, body: UnitIn):
    _require_configurator(request.auth)
    org = organization_create(
        actor=request.auth,
        spec=OrganizationSpec(
            code=body.code.strip(),
            name=body.name,
            kind=body.kind,
            parent=_unit(body.parent, "parent"),
            kana=body.kana,
            is_security_unit=body.is_security_unit,
        ),
        valid_from=body.valid_from,
    )
    return Status(201, _unit_out(org))


@config_router.post(
    "/organizations/{int:org_id}/end",
    response={200: ReorganizationOut | UnitOut},
    summary="End a unit (?preview=true: what still uses it)",
)
def end_unit(request, org_id: Id, body: UnitEndIn, preview: bool = False):
    _require_configurator(request.auth)
    org = _unit(org_id)
    assert org is not None
    if preview:
        return Status(
            200, ReorganizationOut(**reorganization_consequences(on=body.on, ending=[org]).as_dict())
        )
    return Status(200, _unit_out(organization_end(actor=request.auth, organization=org, on=body.on)))


@config_router.post(
    "/reorganizations",
    response={200: ReorganizationOut, 201: ReorganizationOut},
    summary="Reorganize on a date (?preview=true: the consequences only)",
)
def reorganize(request, body: ReorganizationIn, preview: bool = False):
    _require_configurator(request.auth)
    ending = [o for pk in body.ending if (o := _unit(pk, "ending")) is not None]
    creating = [
        OrganizationSpec(
            code=u.code, name=u.name, kind=u.kind, parent=u.parent, is_security_unit=u.is_security_unit
        )
        for u in body.creating
    ]
    consequences = reorganization_consequences(
        on=body.on,
        ending=ending,
        creating_codes={u.code: u.is_security_unit for u in body.creating},
        moves=body.moves,
    )
    if preview:
        return Status(200, ReorganizationOut(**consequences.as_dict()))
    organization_reorganize(
        actor=request.auth, on=body.on, ending=ending, creating=creating, moves=body.moves
    )
    return Status(201, ReorganizationOut(**consequences.as_dict()))


def _post_out(post: Post) -> PostOut:
    return PostOut(
        id=post.pk,
        code=post.code,
        name=post.name,
        is_head=post.is_head,
        rank=post.rank,
        unit_kinds=list(post.unit_kinds),
    )


@config_router.post("/posts", response={201: PostOut}, summary="Add a post")
def create_post(request, body: PostIn):
    _require_configurator(request.auth)
    return Status(201, _post_out(post_create(actor=request.auth, **body.dict())))


@config_router.patch(
    "/posts/{code}", response=PostOut, summary="Rename a post, or change its rank or its kinds of unit"
)
def patch_post(request, code: Code, body: PostPatchIn):
    _require_configurator(request.auth)
    post = Post.objects.filter(code=code).first()
    if post is None:
        raise NotFound(_("No such post."))
    return _post_out(post_update(actor=request.auth, post=post, **body.dict(exclude_unset=True)))


@config_router.post(
    "/systems", response={201: SystemConfigOut}, summary="Register a system with its permissions"
)
def create_system(request, body: SystemIn):
    _require_configurator(request.auth)
    owner = _unit(body.owner, "owner")
    assert owner is not None
    system = system_create(
        actor=request.auth,
        code=body.code.strip(),
        name=body.name.strip(),
        kind=body.kind,
        owner=owner,
        parent=_system(body.parent) if body.parent else None,
        valid_from=body.valid_from,
        handles_specific_personal_info=body.handles_specific_personal_info,
        permissions=body.permissions,
        user_id_pattern=body.user_id_pattern,
        user_id_example=body.user_id_example,
    )
    return Status(201, _system_out(system))


@config_router.patch(
    "/systems/{code}", response=SystemConfigOut, summary="Rename a system or set its user-ID pattern"
)
def patch_system(request, code: Code, body: SystemPatchIn):
    _require_configurator(request.auth)
    return _system_out(system_update(actor=request.auth, system=_system(code), **body.dict()))


@config_router.post(
    "/systems/{code}/permissions", response={201: SystemConfigOut}, summary="Add an operation permission"
)
def add_permission(request, code: Code, body: PermissionIn):
    _require_configurator(request.auth)
    system = _system(code)
    system_permission_create(
        actor=request.auth,
        system=system,
        code=body.code.strip(),
        name=body.name.strip(),
        sort_order=system.permissions.count(),
    )
    return Status(201, _system_out(system))


@config_router.post("/table-2", response={201: Table2Out}, summary="Add a 別表第2 line")
def create_table2(request, body: Table2In):
    _require_configurator(request.auth)
    organization = _unit(body.organization)
    assert organization is not None
    entry = eligibility_entry_create(
        actor=request.auth,
        organization=organization,
        valid_from=body.valid_from,
        scope=body.scope,
        units=[u for pk in body.units if (u := _unit(pk, "units")) is not None],
        source=body.source,
    )
    return Status(
        201,
        Table2Out(
            id=entry.pk, listed_as=entry.listed_as, valid_from=entry.valid_from, valid_to=entry.valid_to
        ),
    )


@config_router.post("/table-2/{int:entry_id}/end", response=Table2Out, summary="End a 別表第2 line on a date")
def end_table2(request, entry_id: Id, body: UnitEndIn):
    _require_configurator(request.auth)
    entry = EligibilityEntry.objects.filter(pk=entry_id).first()
    if entry is None:
        raise NotFound(_("No such line."))
    entry = eligibility_entry_end(actor=request.auth, entry=entry, on=body.on)
    return Table2Out(
        id=entry.pk, listed_as=entry.listed_as, valid_from=entry.valid_from, valid_to=entry.valid_to
    )


class PersonnelPolicyOut(Schema):
    network_registration_lead_days: int


class PersonnelPolicyIn(InSchema):
    network_registration_lead_days: Annotated[int, Field(ge=1, le=366)]


@config_router.get("/personnel-periods", response=PersonnelPolicyOut, summary="The city's personnel periods")
def get_policy(request):
    _require_configurator(request.auth)
    return PersonnelPolicyOut(
        network_registration_lead_days=personnel_policy().network_registration_lead_days
    )


@config_router.put(
    "/personnel-periods",
    response=PersonnelPolicyOut,
    summary="Set the city's personnel periods (A5.3 window)",
)
def put_policy(request, body: PersonnelPolicyIn):
    _require_configurator(request.auth)
    policy = personnel_policy_update(actor=request.auth, **body.dict())
    return PersonnelPolicyOut(network_registration_lead_days=policy.network_registration_lead_days)
