"""Personnel changes over the API: preview the consequences, then apply (or schedule) them.

``on`` is the effective date: the first day the change holds (for ``end``: the first day no longer
employed, so a retirement on 31 March is ``on = 04-01``). A future date schedules the change.
Errors: 422 with ``clause`` and ``field``, 409 on conflicts (a staff number taken, a second head,
a stale ``expected`` fingerprint), 404 for what the caller may not see, 403 without the role.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from kengen.core.access import get_visible
from kengen.core.exceptions import NotFound, PermissionDenied
from kengen.core.models import exclusive_end
from kengen.organizations.models import Organization, Post
from kengen.people.models import Assignment, Person
from kengen.personnel.changes import NewPerson, PersonnelChange
from kengen.personnel.models import ScheduledChange
from kengen.personnel.selectors import Consequences, consequences_of
from kengen.personnel.services import (
    AppliedChanges,
    personnel_changes_submit,
    scheduled_change_cancel,
)
from kengen.roles.selectors import scope_for

router = Router()


class NewPersonIn(Schema):
    staff_number: str
    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    email: str = ""


class ChangeIn(Schema):
    kind: Literal["hire", "appointment", "move", "end"]
    person: int | None = None
    new_person: NewPersonIn | None = None
    employment_type: str = ""
    appointment_last_day: dt.date | None = None  # inclusive, as HR lists give it
    organization: int | None = None
    post: str | None = None  # post code, e.g. "kacho"
    assignment: int | None = None  # the assignment a move ends (default: the primary one)
    reason: str = ""  # for "end": retired, resigned, term_ended …


class ChangesIn(Schema):
    on: dt.date
    changes: list[ChangeIn]
    expected: str | None = None  # the preview's fingerprint; refused with 409 if it changed


class PersonChangeIn(Schema):
    """A change to one person (``PATCH /personnel/people/{id}``)."""

    on: dt.date
    kind: Literal["appointment", "move", "end"]
    employment_type: str = ""
    appointment_last_day: dt.date | None = None
    organization: int | None = None
    post: str | None = None
    assignment: int | None = None
    reason: str = ""
    expected: str | None = None


class RoleItemOut(Schema):
    person: int | None
    person_name: str
    role: str
    label: str
    organization: int | None
    system: int | None


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


def _change(request, body: ChangeIn | PersonChangeIn, person: Person | None) -> PersonnelChange:
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
            consequences=_out(consequences_of(batch, on=on)),
        ),
    )


@router.post(
    "/changes",
    response={200: ConsequencesOut, 201: ResultOut},
    summary="Preview (?preview=true) or apply/schedule personnel changes on an effective date",
)
def post_changes(request, body: ChangesIn, preview: bool = False):
    _require_personnel(request.auth)
    batch = [_change(request, c, _person(request, c.person)) for c in body.changes]
    return _run(request, batch, body.on, body.expected, preview)


@router.post("/changes/preview", response=ConsequencesOut, summary="The consequences of personnel changes")
def preview_changes(request, body: ChangesIn):
    _require_personnel(request.auth)
    batch = [_change(request, c, _person(request, c.person)) for c in body.changes]
    return _out(consequences_of(batch, on=body.on))


@router.patch(
    "/people/{int:person_id}",
    response={200: ConsequencesOut, 201: ResultOut},
    summary="Transfer/promote, appoint or end one person on an effective date",
)
def patch_person(request, person_id: int, body: PersonChangeIn, preview: bool = False):
    _require_personnel(request.auth)
    person = _person(request, person_id)
    return _run(request, [_change(request, body, person)], body.on, body.expected, preview)


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
def list_scheduled(request, status: str = "scheduled"):
    rows = (
        ScheduledChange.objects.restrict(request.auth, "view")
        .filter(status=status)
        .select_related("created_by__person")
        .order_by("effective_on", "id")
    )
    return [_scheduled_out(r) for r in rows[:500]]


@router.post(
    "/scheduled/{int:scheduled_id}/cancel", response={200: ScheduledOut}, summary="Cancel a scheduled change"
)
def cancel_scheduled(request, scheduled_id: int):
    _require_personnel(request.auth)
    row = get_visible(
        ScheduledChange, request.auth, pk=scheduled_id, ip_address=request.META.get("REMOTE_ADDR")
    )
    return Status(200, _scheduled_out(scheduled_change_cancel(actor=request.auth, scheduled=row)))
