"""Personnel changes that span several apps: ending units and reorganizations (and, next, the bulk
personnel wave: HR import, preview, apply).

A reorganization ends units and starts their successors (organizations), moves the people assigned
to them (people), and must leave no system without an administrator (systems, A3.1) and no 別表第2
line naming a unit that no longer exists (eligibility). It therefore sits above all of those apps
and calls their public services and steps; none of them imports it. Each function here is one
transaction, audited as a whole.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kengen.audit.choices import AuditAction
from kengen.audit.services import audit_record
from kengen.core.era import wareki
from kengen.core.exceptions import Conflict, DomainError, RuleViolation
from kengen.core.permissions import require_configurator, require_personnel
from kengen.core.types import Actor
from kengen.eligibility.models import EligibilityEntry
from kengen.grants.choices import EndReason
from kengen.grants.models import Grant
from kengen.grants.services import grant_end
from kengen.notifications.services import notification_send
from kengen.organizations.choices import OrganizationEndReason
from kengen.organizations.models import Organization
from kengen.organizations.services import (
    OrganizationSpec,
    organization_snapshot,
    unit_close,
    unit_code_check_free,
    unit_open,
    units_refuse_children_left,
)
from kengen.people.choices import AssignmentEndReason
from kengen.people.models import Assignment, Person
from kengen.people.services import (
    appointment_end,
    appointment_start,
    assignment_move,
    assignment_relocate,
    assignment_start,
    person_create,
)
from kengen.personnel.changes import PersonnelChange
from kengen.personnel.choices import ChangeKind, ScheduledStatus
from kengen.personnel.models import ScheduledChange
from kengen.personnel.selectors import Consequences, consequences_of, moving_assignment
from kengen.systems.models import System
from kengen.users.models import User
from kengen.users.services import user_create, user_set_active


def _refuse_if_still_used(
    orgs: Sequence[Organization], on: dt.date, moving: Mapping[int, Organization]
) -> None:
    units_refuse_children_left(orgs, on)
    ending_ids = {o.id for o in orgs}
    stranded = (
        Assignment.objects.overlapping(on, None)
        .filter(organization_id__in=ending_ids)
        .exclude(organization_id__in=moving.keys())
        .select_related("person")
    )
    if stranded.exists():
        names = "、".join(a.person.full_name for a in stranded[:10])
        raise RuleViolation(
            _("People are still assigned to the ending unit; say where they move: %(names)s")
            % {"names": names},
            clause="AS",
        )


def _refuse_orphaned_systems(ended: Sequence[Organization], on: dt.date) -> None:
    """A3: a system whose owning division ends must pass to exactly one successor, or it would
    have no administrator from ``on``."""
    for system in System.objects.as_of(on).filter(parent__isnull=True, owner__in=list(ended)):
        if system.owner_on(on) is None:
            raise RuleViolation(
                _(
                    "%(system)s is owned by %(unit)s, which ends: move the unit to one successor so that the "
                    "system keeps an administrator."
                )
                % {"system": system.name, "unit": system.owner.name},
                clause="A3.1",
            )


def _refuse_stale_table2(ended: Sequence[Organization], on: dt.date) -> None:
    """A5.5/AS: a 別表第2 line naming a unit that ends would silently change meaning (a 「限る」
    line would cover nobody, a 「除く」 line would cover the excluded unit's successor). The table
    is amended first: end the line on the same date, reorganize, then add the successor's line."""
    ids = [o.id for o in ended]
    stale = EligibilityEntry.objects.overlapping(on, None).filter(
        Q(organization_id__in=ids) | Q(units__in=ids)
    )
    if stale.exists():
        lines = "、".join(sorted({e.listed_as for e in stale}))
        raise RuleViolation(
            _(
                "Table 2 still names units that end on %(date)s: %(lines)s. End those lines on that date first, "
                "then add the successors' lines after the reorganization."
            )
            % {"date": on.isoformat(), "lines": lines},
            clause="AS",
        )


@transaction.atomic
def organization_end(
    *, actor: Actor, organization: Organization, on: dt.date, reason: str = OrganizationEndReason.ABOLISHED
) -> Organization:
    """End a unit on ``on`` (the first day it no longer exists)."""
    require_configurator(actor)
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    _refuse_if_still_used([org], on, {})
    _refuse_stale_table2([org], on)
    if System.objects.overlapping(on, None).filter(owner=org).exists():
        raise RuleViolation(
            _("%(unit)s owns systems; reorganize it into a successor instead of abolishing it.")
            % {"unit": org.name},
            clause="A3.1",
        )
    old = organization_snapshot(org)
    unit_close(org, on, reason)
    audit_record(
        actor=actor,
        action=AuditAction.ORGANIZATION_ENDED,
        target=org,
        old=old,
        new=organization_snapshot(org),
    )
    return org


@dataclass(frozen=True)
class ReorganizationResult:
    ended: list[Organization]
    created: list[Organization]
    moved_assignments: int


@transaction.atomic
def organization_reorganize(
    *,
    actor: Actor,
    on: dt.date,
    ending: Sequence[Organization],
    creating: Sequence[OrganizationSpec],
    moves: Mapping[str, str],
) -> ReorganizationResult:
    """End ``ending`` and start ``creating`` on ``on``, all or nothing.

    ``moves`` maps the code of each ending unit to the code of the new unit its people move to;
    their assignments end the day before and start again in the new unit on ``on``, same post.
    Grants are held by people, not units, so they are untouched; who sees them follows the
    new assignments from ``on``.
    """
    require_configurator(actor)
    ended = list(Organization.objects.select_for_update().filter(pk__in=[o.pk for o in ending]))
    if len(ended) != len(ending):
        raise Conflict(_("Some of the units to end no longer exist."))
    ending_codes = {o.code for o in ended}
    unknown = set(moves) - ending_codes
    if unknown:
        raise RuleViolation(
            _("Moves name units that are not ending: %(codes)s") % {"codes": ", ".join(sorted(unknown))}
        )
    for org in ended:
        unit_close(org, on, OrganizationEndReason.REORGANIZED)
    reused = [o.id for o in ended]
    created: dict[str, Organization] = {}
    for spec in creating:
        parent = spec.parent
        if isinstance(parent, str):
            parent = created.get(parent) or Organization.objects.as_of(on).filter(code=parent).first()
            if parent is None:
                raise RuleViolation(
                    _("No unit with code %(code)s on that date.") % {"code": spec.parent}, field="parent"
                )
        unit_code_check_free(spec.code, on, ignoring=reused)
        org = unit_open(spec, on, parent)
        org.predecessors.add(*[o for o in ended if moves.get(o.code) == spec.code or o.code == spec.code])
        created[spec.code] = org
    target_by_old: dict[int, Organization] = {}
    for old in ended:
        target_code = moves.get(old.code)
        if target_code is None:
            continue
        target = created.get(target_code) or Organization.objects.as_of(on).filter(code=target_code).first()
        if target is None:
            raise RuleViolation(_("No unit with code %(code)s on that date.") % {"code": target_code})
        target_by_old[old.id] = target
    _refuse_if_still_used(ended, on, target_by_old)
    _refuse_orphaned_systems(ended, on)
    _refuse_stale_table2(ended, on)
    moved = 0
    for old_id, target in target_by_old.items():
        # Also those starting after ``on``: the stranded check above counted them as moving.
        staying = Assignment.objects.select_for_update().overlapping(on, None)
        for a in staying.filter(organization_id=old_id):
            assignment_relocate(actor=actor, assignment=a, organization=target, on=on, check_head=False)
            moved += 1
    audit_record(
        actor=actor,
        action=AuditAction.ORGANIZATION_REORGANIZED,
        target_label=_("Reorganization of %(date)s") % {"date": on.isoformat()},
        new={
            "on": on,
            "ended": [o.code for o in ended],
            "created": list(created),
            "moves": dict(moves),
            "moved_assignments": moved,
        },
    )
    for org in ended:
        audit_record(
            actor=actor, action=AuditAction.ORGANIZATION_ENDED, target=org, new=organization_snapshot(org)
        )
    for org in created.values():
        audit_record(
            actor=actor, action=AuditAction.ORGANIZATION_CREATED, target=org, new=organization_snapshot(org)
        )
    return ReorganizationResult(list(ended), list(created.values()), moved)


# --- Personnel changes: new hires, appointments, transfers and promotions, ends (issue 8) ---------


@dataclass
class AppliedChanges:
    """What ``personnel_changes_apply`` did: the rows it wrote and the consequences it applied."""

    consequences: Consequences
    people: list[Person]
    revoked: list[Grant]
    capped: list[Grant]
    disabled_users: list[User]


def _apply_one(actor: Actor, change: PersonnelChange, on: dt.date) -> Person:
    """Step: the change itself, through the people services (each refuses what it must)."""
    kind = change.kind
    if kind == ChangeKind.HIRE:
        np = change.new_person
        assert np is not None and change.organization is not None and change.post is not None
        person = person_create(
            actor=actor,
            staff_number=np.staff_number.strip(),
            family_name=np.family_name.strip(),
            given_name=np.given_name.strip(),
            family_name_kana=np.family_name_kana.strip(),
            given_name_kana=np.given_name_kana.strip(),
            email=np.email.strip(),
        )
        appointment_start(
            actor=actor,
            person=person,
            employment_type=change.employment_type,
            valid_from=on,
            valid_to=change.appointment_to,
        )
        assignment_start(
            actor=actor, person=person, organization=change.organization, post=change.post, valid_from=on
        )
        return person
    existing = change.person
    assert existing is not None
    person = existing
    if kind == ChangeKind.APPOINTMENT:
        appointment_start(
            actor=actor,
            person=person,
            employment_type=change.employment_type,
            valid_from=on,
            valid_to=change.appointment_to,
        )
        if change.organization is not None and change.post is not None:
            assignment_start(
                actor=actor, person=person, organization=change.organization, post=change.post, valid_from=on
            )
    elif kind == ChangeKind.MOVE:
        moving = moving_assignment(change, on)
        assert change.organization is not None
        assignment_move(
            actor=actor,
            assignment=moving,
            organization=change.organization,
            on=on,
            post=change.post or moving.post,
            reason=AssignmentEndReason.TRANSFER,
        )
    else:  # END: the appointment in force the day before ends on ``on``, with its assignments
        appointment = person.appointment_on(on - dt.timedelta(days=1)) or person.appointment_on(on)
        assert appointment is not None
        appointment_end(actor=actor, appointment=appointment, on=on, reason=change.reason)
    return person


def _people_of(ids: Iterable[int | None]) -> list[Person]:
    return list(Person.objects.filter(pk__in=[i for i in ids if i]))


@dataclass(frozen=True)
class Notice:
    """One notification a personnel change sends (to ``recipient_ids``, people); ``target_hire``
    is the staff number of a new hire the notice is about (A5.3)."""

    recipient_ids: tuple[int, ...]
    clause: str
    subject: str
    body: str
    target_hire: str = ""


def consequence_notices(consequences: Consequences, *, on: dt.date, hired: Mapping[str, int]) -> list[Notice]:
    """The notices the consequences call for (A5.5 revocations, A4 Form 1 flags, A5.3
    registrations, role changes): the same texts whether one change or a whole HR wave is applied.
    ``hired`` maps a new hire's staff number to their new person id (names are not unique: two
    people of one name may be hired on the same day)."""
    out: list[Notice] = []
    for rev in consequences.direct_revocations:
        out.append(
            Notice(
                rev.officer_ids,
                "A5.5",
                _("Direct grant of %(name)s revoked") % {"name": rev.person.full_name},
                _("%(system)s %(perm)s (user ID %(uid)s) ends on %(date)s: %(note)s.")
                % {
                    "system": rev.grant.account.system.name,
                    "perm": rev.grant.permission.name,
                    "uid": rev.grant.account.user_id,
                    "date": wareki(on),
                    "note": rev.note,
                },
            )
        )
    for flag in consequences.form1_flags:
        out.append(
            Notice(
                flag.officer_ids,
                "A4",
                _("%(name)s leaves the section that applied for their permissions")
                % {"name": flag.person.full_name},
                _(
                    "From %(date)s %(name)s %(note)s. %(system)s %(perm)s (user ID %(uid)s) stays until it is "
                    "cancelled on Form 1 or re-applied by the new section."
                )
                % {
                    "date": wareki(on),
                    "name": flag.person.full_name,
                    "note": flag.note,
                    "system": flag.grant.account.system.name,
                    "perm": flag.grant.permission.name,
                    "uid": flag.grant.account.user_id,
                },
            )
        )
    for reg in consequences.network_registrations:
        out.append(
            Notice(
                reg.officer_ids,
                "A5.3",
                _("Network user registration needed for %(name)s") % {"name": reg.person_name},
                _("%(name)s is a fiscal-year appointee from %(date)s. %(note)s")
                % {"name": reg.person_name, "date": wareki(on), "note": reg.note},
                target_hire=reg.hire_staff_number if reg.person_id is None else "",
            )
        )
    by_person: dict[int | str, list[str]] = {}
    for gain in consequences.roles_gained:
        by_person.setdefault(gain.person_id or gain.hire_staff_number, []).append(
            _("From %(date)s you are %(role)s (%(label)s).")
            % {"date": wareki(on), "role": gain.role_label, "label": gain.label}
        )
    for loss in consequences.roles_lost:
        by_person.setdefault(loss.person_id or loss.hire_staff_number, []).append(
            _("From %(date)s you are no longer %(role)s (%(label)s).")
            % {"date": wareki(on), "role": loss.role_label, "label": loss.label}
        )
    for who, lines in by_person.items():
        recipient = who if isinstance(who, int) else hired.get(who)
        if recipient is not None:
            out.append(Notice((recipient,), "A3", _("Your roles in Kengen change"), "\n".join(lines)))
    return out


@transaction.atomic
def personnel_changes_apply(
    *,
    actor: Actor,
    changes: PersonnelChange | Sequence[PersonnelChange],
    on: dt.date,
    expected: str | None = None,
    scheduled: ScheduledChange | None = None,
) -> AppliedChanges:
    """Apply ``changes`` on ``on`` (today or a past date) with exactly the consequences the preview
    showed, in one transaction: the people records, the A5.5 revocations, the A7 caps, the notices
    (A4 Form 1 flags, A5.3 registrations, A5.5, roles) and the disabled sign-ins, audited as one event.

    ``expected`` is the preview's ``fingerprint``: if anything changed since (someone else's
    change, a grant registered meanwhile), nothing is applied and ``Conflict`` asks to look again.
    """
    require_personnel(actor)
    batch = [changes] if isinstance(changes, PersonnelChange) else list(changes)
    list(
        Person.objects.select_for_update()
        .filter(pk__in=[c.person.pk for c in batch if c.person])
        .values_list("pk", flat=True)
    )
    consequences = consequences_of(batch, on=on, applying=scheduled.pk if scheduled is not None else None)
    if expected is not None and expected != consequences.fingerprint:
        raise Conflict(_("The consequences changed since the preview. Review them again before confirming."))
    people = [_apply_one(actor, c, on) for c in batch]
    # Kengen itself ends the grants (A5.5, A7): the personnel officer administers no system; the
    # audit event below names who entered the change.
    revoked = [
        grant_end(actor=None, grant=item.grant, on=item.ends_on, reason=EndReason.TRANSFER, note="A5.5")
        for item in consequences.direct_revocations
    ]
    capped = [
        grant_end(
            actor=None, grant=item.grant, on=item.ends_on, reason=EndReason.APPOINTMENT_ENDED, note="A7"
        )
        for item in consequences.appointment_caps
    ]
    hired = {c.new_person.staff_number.strip(): p for c, p in zip(batch, people, strict=True) if c.new_person}
    for notice in consequence_notices(consequences, on=on, hired={k: p.pk for k, p in hired.items()}):
        notification_send(
            recipients=_people_of(notice.recipient_ids),
            clause=notice.clause,
            subject=notice.subject,
            body=notice.body,
            target=hired.get(notice.target_hire) if notice.target_hire else None,
        )
    disabled = []
    if on <= timezone.localdate():
        for off in consequences.sign_ins_to_disable:
            user = User.objects.filter(pk=off.user_id).first() if off.user_id else None
            if user is not None:
                disabled.append(user_set_active(actor=actor, user=user, is_active=False))
        for back in consequences.sign_ins_to_enable:
            user = User.objects.filter(pk=back.user_id).first() if back.user_id else None
            if user is not None:
                user_set_active(actor=actor, user=user, is_active=True)
    for change, person in zip(batch, people, strict=True):
        # A2.4: a new hire's sign-in, named by the staff number, with no usable password until
        # the configuration administrator issues one (or a directory sign-in takes over).
        if change.new_person is not None and not User.objects.filter(username=person.staff_number).exists():
            assert person.staff_number is not None
            user_create(actor=actor, username=person.staff_number, password=None, person=person)
    audit_record(
        actor=actor,
        action=AuditAction.PERSONNEL_CHANGE_APPLIED,
        target=people[0] if len(people) == 1 else None,
        target_label=None if len(people) == 1 else _("%(n)d personnel changes") % {"n": len(people)},
        new={
            **consequences.as_dict(),
            "people": [p.pk for p in people],
            # Applied by run-due: who entered it, and when.
            **(
                {"scheduled": scheduled.pk, "entered_by": scheduled.created_by_id}
                if scheduled is not None
                else {}
            ),
        },
    )
    return AppliedChanges(consequences, people, revoked, capped, disabled)


def _summary(batch: Sequence[PersonnelChange]) -> str:
    text = "；".join(c.describe() for c in batch)
    return text if len(text) <= 500 else text[:497] + "…"


@transaction.atomic
def scheduled_change_create(
    *, actor: Actor, changes: PersonnelChange | Sequence[PersonnelChange], on: dt.date
) -> ScheduledChange:
    """Store ``changes`` for a future date (予定されている変更), after checking them against today's
    records; ``kengen run-due`` applies them on that date (``scheduled_changes_apply_due``)."""
    require_personnel(actor)
    batch = [changes] if isinstance(changes, PersonnelChange) else list(changes)
    if on <= timezone.localdate():
        raise RuleViolation(
            _("Only a future date can be scheduled; apply the change now."), field="valid_from"
        )
    consequences_of(batch, on=on)  # refuses now what would be refused then
    people = [c.person for c in batch if c.person is not None]
    scheduled = ScheduledChange.objects.create(
        effective_on=on,
        payload=[c.to_payload() for c in batch],
        summary=_summary(batch),
        person=people[0] if len(people) == 1 and len(batch) == 1 else None,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(
        actor=actor,
        action=AuditAction.PERSONNEL_CHANGE_SCHEDULED,
        target=scheduled,
        new={"effective_on": on, "changes": scheduled.payload},
    )
    return scheduled


def personnel_changes_submit(
    *,
    actor: Actor,
    changes: PersonnelChange | Sequence[PersonnelChange],
    on: dt.date,
    expected: str | None = None,
) -> AppliedChanges | ScheduledChange:
    """Today or a past date: apply now. A future date: schedule."""
    if on > timezone.localdate():
        return scheduled_change_create(actor=actor, changes=changes, on=on)
    return personnel_changes_apply(actor=actor, changes=changes, on=on, expected=expected)


@transaction.atomic
def scheduled_change_cancel(*, actor: Actor, scheduled: ScheduledChange) -> ScheduledChange:
    """Cancel a scheduled change before it takes effect."""
    require_personnel(actor)
    row = ScheduledChange.objects.select_for_update().get(pk=scheduled.pk)
    if row.status != ScheduledStatus.SCHEDULED:
        raise Conflict(
            _("This change is no longer scheduled (%(status)s).") % {"status": row.get_status_display()}
        )
    if row.effective_on <= timezone.localdate():
        raise Conflict(_("This change has taken effect; record a new change instead."))
    row.status = ScheduledStatus.CANCELLED
    row.cancelled_at = timezone.now()
    row.cancelled_by = actor if getattr(actor, "pk", None) else None
    row.save(update_fields=["status", "cancelled_at", "cancelled_by"])
    audit_record(
        actor=actor,
        action=AuditAction.PERSONNEL_CHANGE_CANCELLED,
        target=row,
        old={"status": ScheduledStatus.SCHEDULED},
        new={"status": row.status},
    )
    return row


def scheduled_change_batch(scheduled: ScheduledChange) -> list[PersonnelChange]:
    return [PersonnelChange.from_payload(item) for item in scheduled.payload]


def scheduled_changes_apply_due(*, today: dt.date | None = None) -> tuple[int, int]:
    """``kengen run-due``: apply every scheduled change due by ``today``, oldest first, each in its
    own transaction; one that is refused now is marked failed with the reason, and whoever entered
    it is told. Returns (applied, failed)."""
    today = today or timezone.localdate()
    applied = failed = 0
    due = list(
        ScheduledChange.objects.filter(status=ScheduledStatus.SCHEDULED, effective_on__lte=today).values_list(
            "pk", flat=True
        )
    )
    for pk in due:
        try:
            with transaction.atomic():
                row = ScheduledChange.objects.select_for_update().get(pk=pk)
                if row.status != ScheduledStatus.SCHEDULED:
                    continue
                personnel_changes_apply(
                    actor=None, changes=scheduled_change_batch(row), on=row.effective_on, scheduled=row
                )
                row.status = ScheduledStatus.APPLIED
                row.applied_at = timezone.now()
                row.save(update_fields=["status", "applied_at"])
            applied += 1
        except DomainError as exc:
            with transaction.atomic():
                row = ScheduledChange.objects.select_for_update().get(pk=pk)
                row.status = ScheduledStatus.FAILED
                row.error = str(exc.message)
                row.save(update_fields=["status", "error"])
                audit_record(
                    actor=None,
                    actor_label="kengen run-due",
                    action=AuditAction.PERSONNEL_CHANGE_FAILED,
                    target=row,
                    new={"error": row.error, "clause": exc.clause, "field": exc.field},
                )
                creator = getattr(row.created_by, "person", None)
                if creator is not None:
                    notification_send(
                        recipients=[creator],
                        subject=_("A scheduled personnel change could not be applied"),
                        body=_("%(summary)s (%(date)s): %(error)s")
                        % {"summary": row.summary, "date": wareki(row.effective_on), "error": row.error},
                    )
            failed += 1
    return applied, failed
