"""Registering people and recording their appointments and assignments.

The public services are for the personnel records officer (人事担当, ``require_personnel``) or
Kengen itself (``actor=None``). The cross-app processes in ``kengen.personnel`` (transfers with
their consequences, reorganizations) call them, or the steps ``assignment_open`` /
``assignment_close`` / ``assignment_relocate`` that run inside the caller's transaction and leave
the permission check to it."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kengen.audit.choices import AuditAction
from kengen.audit.services import audit_record
from kengen.contractors.models import Contractor
from kengen.core.exceptions import Conflict, RuleViolation
from kengen.core.models import overlapping_q
from kengen.core.permissions import require_configurator, require_personnel
from kengen.core.scope import scope_of
from kengen.core.types import Actor
from kengen.organizations.models import Organization, Post
from kengen.organizations.services import post_refuse_misfit
from kengen.people.choices import AppointmentEndReason, AssignmentEndReason, EmploymentType, PersonKind
from kengen.people.models import Appointment, Assignment, Person, PersonnelPolicy


@transaction.atomic
def person_create(
    *,
    actor: Actor,
    family_name: str,
    given_name: str,
    family_name_kana: str,
    given_name_kana: str,
    staff_number: str | None = None,
    kind: str = PersonKind.STAFF,
    contractor: Contractor | None = None,
    email: str = "",
) -> Person:
    """Register a person. Staff need a staff number (A2.4); maintenance staff a contractor (A2.5).

    Staff are recorded by the personnel records officer; a contractor's maintenance staff also by
    the configuration administrator, who keeps the contractor register (A14)."""
    if not (kind == PersonKind.MAINTENANCE and actor is not None and scope_of(actor).is_configurator):
        require_personnel(actor)
    if kind not in PersonKind.values:
        raise RuleViolation(_("Unknown kind of person %(k)s.") % {"k": kind}, field="kind")
    for name, value in (
        ("family_name", family_name),
        ("given_name", given_name),
        ("family_name_kana", family_name_kana),
        ("given_name_kana", given_name_kana),
    ):
        if not (value or "").strip():
            raise RuleViolation(_("This field is required."), field=name)
    staff_number = (staff_number or "").strip() or None
    if kind == PersonKind.STAFF and not staff_number:
        raise RuleViolation(_("Staff need a staff number."), clause="A2.4", field="staff_number")
    if kind == PersonKind.MAINTENANCE and contractor is None:
        raise RuleViolation(
            _("Maintenance staff must belong to a contractor."), clause="A2.5", field="contractor"
        )
    if staff_number and Person.objects.filter(staff_number=staff_number).exists():
        raise Conflict(
            _("Staff number %(number)s is already registered.") % {"number": staff_number},
            field="staff_number",
        )
    person = Person.objects.create(
        kind=kind,
        staff_number=staff_number if kind == PersonKind.STAFF else None,
        family_name=family_name,
        given_name=given_name,
        family_name_kana=family_name_kana,
        given_name_kana=given_name_kana,
        contractor=contractor if kind == PersonKind.MAINTENANCE else None,
        email=email,
    )
    audit_record(
        actor=actor,
        action=AuditAction.PERSON_CREATED,
        target=person,
        new={"kind": kind, "staff_number": person.staff_number, "name": person.full_name},
    )
    return person


PERSON_DETAIL_FIELDS = (
    "staff_number",
    "family_name",
    "given_name",
    "family_name_kana",
    "given_name_kana",
    "email",
)


@transaction.atomic
def person_update(*, actor: Actor, person: Person, **changes: str) -> Person:
    """Correct or change who a person is: names and their kana (a marriage, a typo), email, staff
    number (A2.4). Only the fields given change; the audit event keeps each field before and after.

    Staff are recorded by the personnel records officer; a contractor's maintenance staff also by
    the configuration administrator (A14). A staff number stays unique; names are required."""
    p = Person.objects.select_for_update().get(pk=person.pk)
    if not (p.kind == PersonKind.MAINTENANCE and actor is not None and scope_of(actor).is_configurator):
        require_personnel(actor)
    unknown = set(changes) - set(PERSON_DETAIL_FIELDS)
    if unknown:
        raise RuleViolation(_("This cannot be changed here."), field=sorted(unknown)[0])
    old: dict[str, str | None] = {}
    new: dict[str, str | None] = {}
    for name, raw in changes.items():
        value: str | None = (raw or "").strip()
        if name in ("family_name", "given_name", "family_name_kana", "given_name_kana") and not value:
            raise RuleViolation(_("This field is required."), field=name)
        if name == "staff_number":
            if p.kind != PersonKind.STAFF:
                raise RuleViolation(_("Only staff have a staff number."), clause="A2.4", field="staff_number")
            if not value:
                raise RuleViolation(_("Staff need a staff number."), clause="A2.4", field="staff_number")
            if Person.objects.filter(staff_number=value).exclude(pk=p.pk).exists():
                raise Conflict(
                    _("Staff number %(number)s is already registered.") % {"number": value},
                    field="staff_number",
                )
        try:
            model_field = Person._meta.get_field(name)
            assert isinstance(model_field, models.Field)
            model_field.clean(value, p)
        except ValidationError as e:
            raise RuleViolation(" ".join(e.messages), field=name) from None
        if getattr(p, name) != value:
            old[name], new[name] = getattr(p, name), value
            setattr(p, name, value)
    if not new:
        return p
    p.save(update_fields=list(new))
    audit_record(actor=actor, action=AuditAction.PERSON_UPDATED, target=p, old=old, new=new)
    return p


@transaction.atomic
def appointment_start(
    *,
    actor: Actor,
    person: Person,
    employment_type: str,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
) -> Appointment:
    """Record an appointment ``[valid_from, valid_to)``; fixed-term types must have an end (A7)."""
    require_personnel(actor)
    if employment_type not in EmploymentType.values:
        raise RuleViolation(
            _("Unknown employment type %(t)s.") % {"t": employment_type}, field="employment_type"
        )
    if employment_type in EmploymentType.fixed_term() and valid_to is None:
        raise RuleViolation(_("A fixed-term appointment needs its end date."), clause="A7", field="valid_to")
    if valid_to is not None and valid_to <= valid_from:
        raise RuleViolation(_("The appointment must end after it starts."), field="valid_to")
    Person.objects.select_for_update().get(pk=person.pk)
    if person.appointments.filter(overlapping_q(valid_from, valid_to)).exists():
        raise Conflict(
            _("%(name)s already has an appointment overlapping that period.") % {"name": person.full_name},
            field="valid_from",
        )
    appointment = Appointment.objects.create(
        person=person,
        employment_type=employment_type,
        valid_from=valid_from,
        valid_to=valid_to,
        recorded_at=timezone.now(),
        recorded_by=_user(actor),
    )
    audit_record(
        actor=actor,
        action=AuditAction.APPOINTMENT_STARTED,
        target=appointment,
        new={
            "person": person.pk,
            "employment_type": employment_type,
            "valid_from": valid_from,
            "valid_to": valid_to,
        },
    )
    return appointment


@transaction.atomic
def appointment_end(*, actor: Actor, appointment: Appointment, on: dt.date, reason: str) -> Appointment:
    """End an appointment on ``on`` (first day no longer employed), with its assignments."""
    require_personnel(actor)
    appt = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if on < appt.valid_from:
        raise RuleViolation(_("An appointment cannot end before it starts."), field="valid_to")
    if appt.valid_to is not None and appt.valid_to < on:
        raise Conflict(_("This appointment already ended."))
    if reason not in AppointmentEndReason.values:
        raise RuleViolation(_("Unknown end reason %(r)s.") % {"r": reason}, field="reason")
    old = {"valid_to": appt.valid_to, "end_reason": appt.end_reason}
    appt.valid_to = on
    appt.end_reason = reason
    appt.ended_by = _user(actor)
    appt.save(update_fields=["valid_to", "end_reason", "ended_by"])
    audit_record(
        actor=actor,
        action=AuditAction.APPOINTMENT_ENDED,
        target=appt,
        old=old,
        new={"valid_to": on, "end_reason": reason},
    )
    for a in (
        Assignment.objects.select_for_update().filter(person=appt.person).filter(overlapping_q(on, None))
    ):
        assignment_close(actor=actor, assignment=a, on=on, reason=AssignmentEndReason.APPOINTMENT_ENDED)
    return appt


def _user(actor: Actor) -> Actor:
    return actor if getattr(actor, "pk", None) else None


def check_one_head(
    *,
    organization: Organization,
    post: Post,
    valid_from: dt.date,
    valid_to: dt.date | None,
    person: Person | None = None,
) -> None:
    """One head per unit per date: the head post of a unit is held by one person at a time (A3, A4
    follow it), so a second head overlapping the period is refused."""
    if not post.is_head:
        return
    clash = (
        Assignment.objects.filter(organization=organization, post__is_head=True)
        .filter(overlapping_q(valid_from, valid_to))
        .select_related("person")
    )
    if person is not None:
        clash = clash.exclude(person=person)
    other = clash.first()
    if other is not None:
        raise Conflict(
            _(
                "%(unit)s already has a head from %(date)s: %(name)s. Record their move or end first "
                "(one head per unit per date)."
            )
            % {
                "unit": organization.name,
                "name": other.person.full_name,
                "date": other.valid_from.isoformat(),
            },
            field="post",
        )


def assignment_open(
    *,
    actor: Actor,
    person: Person,
    organization: Organization,
    post: Post,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    is_primary: bool = True,
    check_head: bool = True,
) -> Assignment:
    """Step: assign a person to a unit and post from ``valid_from`` (inside the caller's
    transaction; the caller checked who may)."""
    # Read the unit afresh (and hold it): a caller's copy may predate the unit's end.
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    if not organization.is_active_on(valid_from):
        raise RuleViolation(
            _("%(org)s is not in force on %(date)s.")
            % {"org": organization.name, "date": valid_from.isoformat()},
            clause="AS",
            field="organization",
        )
    if post is None or not Post.objects.filter(pk=post.pk).exists():
        raise RuleViolation(_("Choose a post that exists."), field="post")
    post_refuse_misfit(post, organization)
    if valid_to is not None and valid_to <= valid_from:
        raise RuleViolation(_("The assignment must end after it starts."), field="valid_to")
    if check_head:
        check_one_head(organization=organization, post=post, valid_from=valid_from, valid_to=valid_to)
    assignment = Assignment.objects.create(
        person=person,
        organization=organization,
        post=post,
        valid_from=valid_from,
        valid_to=valid_to,
        is_primary=is_primary,
        recorded_at=timezone.now(),
        recorded_by=_user(actor),
    )
    audit_record(
        actor=actor,
        action=AuditAction.ASSIGNMENT_STARTED,
        target=assignment,
        new={
            "person": person.pk,
            "organization": organization.pk,
            "post": post.pk,
            "valid_from": valid_from,
            "valid_to": valid_to,
            "is_primary": is_primary,
        },
    )
    return assignment


@transaction.atomic
def assignment_start(
    *,
    actor: Actor,
    person: Person,
    organization: Organization,
    post: Post,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    is_primary: bool = True,
) -> Assignment:
    """Assign a person to a unit and post from ``valid_from``. One head per unit per date is checked
    for what people enter; Kengen itself (``actor=None``: profile loads, HR imports) may record a
    handover overlap the source data has (``roles.selectors.heads_of`` reads it)."""
    require_personnel(actor)
    return assignment_open(
        check_head=actor is not None,
        actor=actor,
        person=person,
        organization=organization,
        post=post,
        valid_from=valid_from,
        valid_to=valid_to,
        is_primary=is_primary,
    )


def assignment_close(*, actor: Actor, assignment: Assignment, on: dt.date, reason: str) -> Assignment:
    """Step: end ``assignment`` on ``on`` (no-op if it already ended by then)."""
    if assignment.valid_to is not None and assignment.valid_to <= on:
        return assignment
    old = {"valid_to": assignment.valid_to}
    assignment.valid_to = max(on, assignment.valid_from)
    assignment.end_reason = reason
    assignment.ended_by = _user(actor)
    assignment.save(update_fields=["valid_to", "end_reason", "ended_by"])
    audit_record(
        actor=actor,
        action=AuditAction.ASSIGNMENT_ENDED,
        target=assignment,
        old=old,
        new={"valid_to": assignment.valid_to, "end_reason": reason},
    )
    return assignment


@transaction.atomic
def assignment_end(*, actor: Actor, assignment: Assignment, on: dt.date, reason: str) -> Assignment:
    """End an assignment on ``on`` (first day no longer assigned)."""
    require_personnel(actor)
    a = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if a.valid_to is not None and a.valid_to <= on:
        raise Conflict(_("This assignment already ended."))
    return assignment_close(actor=actor, assignment=a, on=on, reason=reason)


def assignment_relocate(
    *,
    actor: Actor,
    assignment: Assignment,
    organization: Organization,
    on: dt.date,
    post: Post | None = None,
    reason: str = AssignmentEndReason.REORGANIZED,
    check_head: bool = True,
) -> Assignment:
    """Step: end ``assignment`` on ``on`` and start the same person in ``organization`` from ``on``
    (or from the assignment's own start if that is later), keeping the end it had, if any."""
    start = max(on, assignment.valid_from)
    keeps_until = assignment.valid_to
    assignment_close(actor=actor, assignment=assignment, on=on, reason=reason)
    return assignment_open(
        actor=actor,
        person=assignment.person,
        organization=organization,
        post=post or assignment.post,
        valid_from=start,
        valid_to=keeps_until,
        is_primary=assignment.is_primary,
        check_head=check_head,
    )


@transaction.atomic
def assignment_move(
    *,
    actor: Actor,
    assignment: Assignment,
    organization: Organization,
    on: dt.date,
    post: Post | None = None,
    reason: str = AssignmentEndReason.TRANSFER,
) -> Assignment:
    """A transfer or promotion: end ``assignment`` on ``on`` and start the same person in
    ``organization`` (and ``post``, default the same) from ``on``."""
    require_personnel(actor)
    locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if locked.valid_to is not None and locked.valid_to <= on:
        raise Conflict(_("This assignment already ended."), field="assignment")
    return assignment_relocate(
        actor=actor,
        assignment=locked,
        organization=organization,
        on=on,
        post=post,
        reason=reason,
        check_head=actor is not None,
    )


@transaction.atomic
def personnel_policy_update(*, actor: Actor, network_registration_lead_days: int) -> PersonnelPolicy:
    """Set the city's personnel periods (A14: the configuration administrator, or a profile)."""
    require_configurator(actor)
    if not 1 <= network_registration_lead_days <= 366:
        raise RuleViolation(
            _("Give a number of days from 1 to 366."),
            clause="A5.3",
            field="network_registration_lead_days",
        )
    policy, created = PersonnelPolicy.objects.select_for_update().get_or_create(pk=1)
    old = policy.network_registration_lead_days
    if old != network_registration_lead_days or created:
        policy.network_registration_lead_days = network_registration_lead_days
        policy.save()
        audit_record(
            actor=actor,
            action=AuditAction.PERSONNEL_POLICY_CHANGED,
            target=policy,
            old={"network_registration_lead_days": None if created else old},
            new={"network_registration_lead_days": network_registration_lead_days},
        )
    return policy
