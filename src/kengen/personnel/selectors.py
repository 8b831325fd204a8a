"""The consequence engine: what a personnel change does on its effective date (a pure read).

``consequences_of(changes, on=D)`` takes one change or a list (the bulk personnel wave passes a
whole HR list) and answers, on ``D``, without writing anything:

- roles gained and lost (security officer, administrators: they follow head posts, A3/A4);
- direct grants (A5.5) whose holder loses 別表第2 eligibility and that will be revoked;
- Form 1 grants whose holder leaves the applying section, flagged to both officers (A4, A5.1);
- grants capped or ended by the end of an appointment (A7);
- fiscal-year appointees who need a network user registration for the new appointment (A5.3: one
  filed for an earlier appointment does not count);
- Kengen sign-ins to disable (the person is no longer employed).

It also refuses, with the clause and field, a change that could not be applied (staff number
taken, unit not in force, a second head in a unit …), so the preview shows the same errors as the
confirmation. ``personnel.services.personnel_changes_apply`` recomputes it inside its transaction and
applies exactly that.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from kengen.applications.models import Application
from kengen.core.era import wareki
from kengen.core.exceptions import Conflict, RuleViolation
from kengen.core.models import overlapping_q
from kengen.eligibility.models import EligibilityEntry
from kengen.eligibility.selectors import entry_covers, table2_as_of
from kengen.grants.choices import GrantBasis
from kengen.grants.models import Grant
from kengen.organizations.models import Organization, Post
from kengen.organizations.selectors import OrgTree
from kengen.organizations.services import post_refuse_misfit
from kengen.people.choices import AppointmentEndReason, EmploymentType
from kengen.people.models import Assignment, Person
from kengen.people.selectors import network_registration_window_start
from kengen.personnel.changes import PersonnelChange
from kengen.personnel.choices import ChangeKind, ScheduledStatus
from kengen.personnel.models import ScheduledChange
from kengen.roles.choices import Role
from kengen.roles.selectors import security_officers_for
from kengen.systems.choices import SystemKind
from kengen.systems.models import System
from kengen.users.models import User

_CENTRAL_ROLE_OF_KIND: dict[str, Role] = {
    SystemKind.CORE: Role.CORE_ADMIN,
    SystemKind.TWO_FACTOR: Role.TWO_FACTOR_ADMIN,
    SystemKind.INTERMEDIATE: Role.INTERMEDIATE_ADMIN,
}


@dataclass(frozen=True)
class RoleItem:
    """A role one person gains or loses: over a unit (security officer) or a system."""

    person_id: int | None
    person_name: str
    role: str
    label: str
    organization_id: int | None = None
    system_id: int | None = None
    #: A new hire has no person id yet: their staff number tells two hires of one name apart
    #: (notices to them are keyed by it).
    hire_staff_number: str = ""

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label)

    def as_dict(self) -> dict:
        return {
            "person": self.person_id,
            "person_name": self.person_name,
            "role": self.role,
            "label": self.label,
            "organization": self.organization_id,
            "system": self.system_id,
            "hire_staff_number": self.hire_staff_number,
        }


@dataclass(frozen=True)
class GrantItem:
    """A grant the change touches, and who is told (``officer_ids``)."""

    grant: Grant
    person: Person
    ends_on: dt.date
    clause: str
    officer_ids: tuple[int, ...] = ()
    note: str = ""

    def as_dict(self) -> dict:
        g = self.grant
        return {
            "grant": g.pk,
            "person": self.person.pk,
            "person_name": self.person.full_name,
            "system": g.account.system.name,
            "user_id": g.account.user_id,
            "permission": g.permission.name,
            "basis": g.basis,
            "basis_reference": g.basis_reference,
            "valid_from": g.valid_from.isoformat(),
            "valid_to": g.valid_to.isoformat() if g.valid_to else None,
            "ends_on": self.ends_on.isoformat(),
            "clause": self.clause,
            "officers": list(self.officer_ids),
            "note": self.note,
        }


@dataclass(frozen=True)
class PersonItem:
    """A person named by a category (network registration, sign-in to disable)."""

    person_id: int | None
    person_name: str
    clause: str
    note: str = ""
    user_id: int | None = None
    officer_ids: tuple[int, ...] = ()
    hire_staff_number: str = ""  # a new hire's (no person id yet), as in RoleItem

    def as_dict(self) -> dict:
        return {
            "person": self.person_id,
            "person_name": self.person_name,
            "clause": self.clause,
            "note": self.note,
            "user": self.user_id,
            "officers": list(self.officer_ids),
            "hire_staff_number": self.hire_staff_number,
        }


@dataclass
class Consequences:
    """Everything a change does on ``on``; ``as_dict`` is what the preview shows and the API returns."""

    on: dt.date
    changes: list[PersonnelChange]
    roles_gained: list[RoleItem] = field(default_factory=list)
    roles_lost: list[RoleItem] = field(default_factory=list)
    direct_revocations: list[GrantItem] = field(default_factory=list)  # A5.5
    form1_flags: list[GrantItem] = field(default_factory=list)  # A4 / A5.1
    appointment_caps: list[GrantItem] = field(default_factory=list)  # A7
    network_registrations: list[PersonItem] = field(default_factory=list)  # A5.3
    sign_ins_to_disable: list[PersonItem] = field(default_factory=list)
    # New hires get a Kengen sign-in named by their staff number (no usable password until the
    # configuration administrator issues one); people appointed again get theirs back.
    sign_ins_to_create: list[PersonItem] = field(default_factory=list)
    sign_ins_to_enable: list[PersonItem] = field(default_factory=list)
    # Changes already scheduled for a later date for the same people: checked again on their date.
    pending_later: list[PersonItem] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not any(
            (
                self.roles_gained,
                self.roles_lost,
                self.direct_revocations,
                self.form1_flags,
                self.appointment_caps,
                self.network_registrations,
                self.sign_ins_to_disable,
                self.sign_ins_to_create,
                self.sign_ins_to_enable,
            )
        )

    def as_dict(self) -> dict:
        return {
            "on": self.on.isoformat(),
            "changes": [c.to_payload() for c in self.changes],
            "roles_gained": [r.as_dict() for r in self.roles_gained],
            "roles_lost": [r.as_dict() for r in self.roles_lost],
            "direct_revocations": [g.as_dict() for g in self.direct_revocations],
            "form1_flags": [g.as_dict() for g in self.form1_flags],
            "appointment_caps": [g.as_dict() for g in self.appointment_caps],
            "network_registrations": [p.as_dict() for p in self.network_registrations],
            "sign_ins_to_disable": [p.as_dict() for p in self.sign_ins_to_disable],
            "sign_ins_to_create": [p.as_dict() for p in self.sign_ins_to_create],
            "sign_ins_to_enable": [p.as_dict() for p in self.sign_ins_to_enable],
            "pending_later": [p.as_dict() for p in self.pending_later],
        }

    @property
    def fingerprint(self) -> str:
        """A digest of what the preview showed: confirming refuses if the consequences changed."""
        raw = json.dumps(self.as_dict(), sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(raw.encode()).hexdigest()[:32]


def new_sign_in_note(username: str, *, taken: bool) -> str:
    """What a preview says of a new hire's Kengen sign-in (A2.4): named by the staff number, with
    no usable password until the configuration administrator issues one — or, if that name is
    taken, to be created by hand. The one text for a single change and for an HR wave."""
    if taken:
        return _("the sign-in name %(name)s is taken: create their sign-in by hand") % {"name": username}
    return _("sign-in name %(name)s, without a password until the configuration administrator issues one") % {
        "name": username
    }


# --- The state of one person on the date, before and after ------------------------------------


@dataclass
class _State:
    employment_type: str | None  # None: no appointment in force on the date
    units: list[tuple[int, int, bool]]  # (organization id, post id, post is head)
    appointment_to: dt.date | None = None


def _state_now(person: Person, on: dt.date) -> _State:
    appointment = person.appointment_on(on)
    return _State(
        employment_type=appointment.employment_type if appointment else None,
        appointment_to=appointment.valid_to if appointment else None,
        units=[(a.organization_id, a.post_id, a.post.is_head) for a in person.assignments_on(on)],
    )


def _roles(state: _State, tree: OrgTree, systems: Sequence[tuple[System, int | None]]) -> set[tuple]:
    """(role, organization id, system id) a person in ``state`` holds (A3, A4)."""
    heads = {org_id for org_id, _post, is_head in state.units if is_head}
    out: set[tuple] = set()
    for org_id in heads:
        org = tree.by_id.get(org_id)
        if org is not None and org.is_security_unit:
            out.add((Role.SECURITY_OFFICER, org_id, None))
    for system, owner_id in systems:
        if owner_id in heads:
            out.add((_CENTRAL_ROLE_OF_KIND.get(system.kind, Role.SYSTEM_ADMIN), None, system.id))
    return out


def _eligible(state: _State, tree: OrgTree, entries: Sequence[EligibilityEntry]) -> bool:
    """A5.5 on the overlay: appointed, not a fiscal-year appointee, in a unit 別表第2 covers."""
    if state.employment_type is None or state.employment_type in EmploymentType.fiscal_year():
        return False
    return any(entry_covers(e, org_id, tree) for org_id, _p, _h in state.units for e in entries)


def _security_unit_ids(state: _State, tree: OrgTree) -> set[int]:
    out = set()
    for org_id, _p, _h in state.units:
        unit = tree.security_unit_of(org_id)
        if unit is not None:
            out.add(unit.id)
    return out


def _open_grants(person: Person, on: dt.date, basis: str | None = None) -> QuerySet[Grant]:
    """Grants of ``person`` not ended and still in force on or after ``on``."""
    qs = (
        Grant.objects.filter(account__person=person, ended_at__isnull=True)
        .filter(overlapping_q(on, None))
        .select_related("account__system", "permission")
        .order_by("account__system__sort_order", "permission__sort_order", "id")
    )
    return qs.filter(basis=basis) if basis else qs


def _officer_ids(org_ids: Iterable[int], on: dt.date, exclude: int | None = None) -> tuple[int, ...]:
    ids: list[int] = []
    for org_id in org_ids:
        for officer in security_officers_for(org_id, on):
            if officer.pk not in ids and officer.pk != exclude:
                ids.append(officer.pk)
    return tuple(ids)


# --- Validation: the same refusals the services make, before anything is written -------------------


def _require_unit(org: Organization | None, post: Post | None, on: dt.date) -> None:
    if org is None:
        raise RuleViolation(_("Choose a unit."), field="organization")
    if (
        not Organization.objects.filter(pk=org.pk)
        .filter(Q(valid_from__lte=on) & (Q(valid_to__isnull=True) | Q(valid_to__gt=on)))
        .exists()
    ):
        raise RuleViolation(
            _("%(org)s is not in force on %(date)s.") % {"org": org.name, "date": wareki(on)},
            clause="AS",
            field="organization",
        )
    if post is None or not Post.objects.filter(pk=post.pk).exists():
        raise RuleViolation(_("Choose a post that exists."), field="post")
    post_refuse_misfit(post, org)


def _require_appointment_terms(employment_type: str, start: dt.date, end: dt.date | None) -> None:
    if employment_type not in EmploymentType.values:
        raise RuleViolation(_("Choose an employment type."), clause="A2.4", field="employment_type")
    if employment_type in EmploymentType.fixed_term() and end is None:
        raise RuleViolation(
            _("A fixed-term appointment needs its end date."), clause="A7", field="appointment_to"
        )
    if end is not None and end <= start:
        raise RuleViolation(_("The appointment must end after it starts."), field="appointment_to")


def moving_assignment(change: PersonnelChange, on: dt.date) -> Assignment:
    person = change.person
    assert person is not None
    if change.assignment is not None:
        a = Assignment.objects.select_related("post").get(pk=change.assignment.pk)
        if a.person_id != person.pk or not a.is_active_on(on):
            raise RuleViolation(
                _("That assignment of %(name)s is not in force on %(date)s.")
                % {"name": person.full_name, "date": wareki(on)},
                field="assignment",
            )
        return a
    current = sorted(person.assignments_on(on), key=lambda a: (not a.is_primary, a.valid_from))
    if not current:
        raise RuleViolation(
            _("%(name)s has no assignment on %(date)s to move from.")
            % {"name": person.full_name, "date": wareki(on)},
            field="person",
        )
    return current[0]


def _check(change: PersonnelChange, on: dt.date, state: _State | None) -> None:
    kind = change.kind
    if kind not in ChangeKind.values:
        raise RuleViolation(_("Unknown kind of change."), field="kind")
    if kind != ChangeKind.HIRE and change.person is None:
        raise RuleViolation(_("Choose a person."), field="person")
    if kind == ChangeKind.HIRE:
        np = change.new_person
        if np is None:
            raise RuleViolation(_("Give the new person's details."), field="staff_number")
        if not np.staff_number.strip():
            raise RuleViolation(_("Staff need a staff number."), clause="A2.4", field="staff_number")
        for name in ("family_name", "given_name", "family_name_kana", "given_name_kana"):
            if not getattr(np, name).strip():
                raise RuleViolation(_("This field is required."), field=name)
        if Person.objects.filter(staff_number=np.staff_number.strip()).exists():
            raise Conflict(
                _("Staff number %(number)s is already registered.") % {"number": np.staff_number},
                field="staff_number",
            )
        _require_appointment_terms(change.employment_type, on, change.appointment_to)
        _require_unit(change.organization, change.post, on)
    elif kind == ChangeKind.APPOINTMENT:
        person = change.person
        assert person is not None
        _require_appointment_terms(change.employment_type, on, change.appointment_to)
        if person.appointments.filter(overlapping_q(on, change.appointment_to)).exists():
            raise Conflict(
                _("%(name)s already has an appointment overlapping that period; end it first.")
                % {"name": person.full_name},
                field="valid_from",
            )
        if change.organization is not None or change.post is not None:
            _require_unit(change.organization, change.post, on)
    elif kind == ChangeKind.MOVE:
        _require_unit(change.organization, change.post or moving_assignment(change, on).post, on)
        if state is None or state.employment_type is None:
            raise RuleViolation(
                _("%(name)s has no appointment on %(date)s.") % {"name": change.name, "date": wareki(on)},
                field="person",
            )
    elif kind == ChangeKind.END:
        if change.reason not in AppointmentEndReason.values:
            raise RuleViolation(_("Choose why the appointment ends."), field="reason")
        person = change.person
        assert person is not None
        # The appointment in force the day before: ``on`` is the first day no longer employed.
        if person.appointment_on(on - dt.timedelta(days=1)) is None and person.appointment_on(on) is None:
            raise RuleViolation(
                _("%(name)s has no appointment in force on %(date)s to end.")
                % {"name": person.full_name, "date": wareki(on)},
                field="valid_from",
            )


def _apply_to_state(change: PersonnelChange, on: dt.date, state: _State) -> _State:
    kind = change.kind
    if kind == ChangeKind.HIRE:
        assert change.organization is not None and change.post is not None
        return _State(
            change.employment_type,
            [(change.organization.pk, change.post.pk, change.post.is_head)],
            change.appointment_to,
        )
    if kind == ChangeKind.APPOINTMENT:
        units = list(state.units)
        if change.organization is not None and change.post is not None:
            units.append((change.organization.pk, change.post.pk, change.post.is_head))
        return _State(change.employment_type, units, change.appointment_to)
    if kind == ChangeKind.MOVE:
        moving = moving_assignment(change, on)
        post = change.post or moving.post
        assert change.organization is not None
        units = [u for u in state.units if (u[0], u[1]) != (moving.organization_id, moving.post_id)]
        units.append((change.organization.pk, post.pk, post.is_head))
        return _State(state.employment_type, units, state.appointment_to)
    return _State(None, [], None)  # END


def _check_one_head(after: dict, batch_ids: set, on: dt.date) -> None:
    """One head per unit per date, across the batch and everyone else."""
    seen: dict[int, str] = {}
    for name, state in after.values():
        for org_id, _post, is_head in state.units:
            if not is_head:
                continue
            if org_id in seen:
                raise Conflict(
                    _(
                        "%(a)s and %(b)s would both head the same unit on %(date)s (one head per unit per date)."
                    )
                    % {"a": seen[org_id], "b": name, "date": wareki(on)},
                    field="post",
                )
            seen[org_id] = name
    if not seen:
        return
    others = (
        Assignment.objects.filter(organization_id__in=seen, post__is_head=True)
        .filter(Q(valid_from__lte=on) & (Q(valid_to__isnull=True) | Q(valid_to__gt=on)))
        .exclude(person_id__in=[k for k in batch_ids if isinstance(k, int)])
        .select_related("person", "organization")
    )
    clash = others.first()
    if clash is not None:
        raise Conflict(
            _(
                "%(unit)s already has a head on %(date)s: %(name)s. Record their move or end first, "
                "or in the same batch (one head per unit per date)."
            )
            % {"unit": clash.organization.name, "name": clash.person.full_name, "date": wareki(on)},
            field="post",
        )


def _against_scheduled(
    batch: Sequence[PersonnelChange], on: dt.date, applying: int | None = None
) -> list[PersonItem]:
    """Changes already scheduled (予定されている変更) for the people of ``batch``.

    One on the same date or an earlier one would be applied before or together with ``batch`` but
    was not part of what the preview computed from today's records: refused, naming it (cancel it,
    or enter both as one change). A later one is listed: it is checked again on its own date. A new
    hire's staff number already used by a scheduled hire is refused."""
    ids = {c.person.pk for c in batch if c.person is not None}
    numbers = {c.new_person.staff_number.strip() for c in batch if c.new_person is not None}
    later: list[PersonItem] = []
    pending = ScheduledChange.objects.filter(status=ScheduledStatus.SCHEDULED)
    if applying is not None:
        pending = pending.exclude(pk=applying)
    for row in pending.order_by("effective_on", "id"):
        for item in row.payload:
            hired = (item.get("new_person") or {}).get("staff_number", "").strip()
            if hired and hired in numbers:
                raise Conflict(
                    _("Staff number %(number)s is already in a change scheduled for %(date)s: %(summary)s")
                    % {"number": hired, "date": wareki(row.effective_on), "summary": row.summary},
                    field="staff_number",
                    clause="A2.4",
                )
            if item.get("person") not in ids:
                continue
            if row.effective_on <= on:
                raise Conflict(
                    _(
                        "A change for the same person is already scheduled for %(date)s (%(summary)s). "
                        "Cancel it on the scheduled-changes page, or enter both changes together."
                    )
                    % {"date": wareki(row.effective_on), "summary": row.summary}
                )
            person = next(c.person for c in batch if c.person is not None and c.person.pk == item["person"])
            later.append(
                PersonItem(
                    person.pk,
                    person.full_name,
                    "AS",
                    _(
                        "a change is scheduled for %(date)s (%(summary)s): it will be checked again on that date"
                    )
                    % {"date": wareki(row.effective_on), "summary": row.summary},
                )
            )
            break
    return later


def consequences_of(
    changes: PersonnelChange | Sequence[PersonnelChange], *, on: dt.date, applying: int | None = None
) -> Consequences:
    """What ``changes`` do on ``on``. Reads only; raises the refusal a change would meet.
    ``applying``: the scheduled change being applied (not a conflict with itself)."""
    batch = [changes] if isinstance(changes, PersonnelChange) else list(changes)
    if not batch:
        raise RuleViolation(_("Nothing to change."), field="changes")
    result = Consequences(on=on, changes=batch)
    tree = OrgTree(on)
    entries = list(table2_as_of(on))
    systems = [
        (s, (o.id if (o := s.owner_on(on)) is not None else None))
        for s in System.objects.as_of(on).filter(parent__isnull=True).select_related("owner")
    ]
    people: dict[object, Person | None] = {}
    before: dict[object, tuple[str, _State]] = {}
    after: dict[object, tuple[str, _State]] = {}
    kinds: dict[object, set[str]] = {}
    new_hires: dict[object, PersonnelChange] = {}
    for i, change in enumerate(batch):
        key: object = change.person.pk if change.person is not None else f"new-{i}"
        if key not in before:
            people[key] = change.person
            state = _state_now(change.person, on) if change.person is not None else _State(None, [])
            before[key] = (change.name, state)
            after[key] = (change.name, state)
        _check(change, on, after[key][1])
        after[key] = (change.name, _apply_to_state(change, on, after[key][1]))
        kinds.setdefault(key, set()).add(change.kind)
        if change.kind == ChangeKind.HIRE:
            new_hires[key] = change
    staff_numbers = [c.new_person.staff_number.strip() for c in new_hires.values() if c.new_person]
    if len(staff_numbers) != len(set(staff_numbers)):
        raise Conflict(_("The same staff number is given twice."), field="staff_number")
    _check_one_head(after, set(after), on)
    result.pending_later = _against_scheduled(batch, on, applying)

    for key, (name, state_after) in after.items():
        person = people[key]
        state_before = before[key][1]
        person_id = person.pk if person is not None else None
        number = ""
        if person is None:
            hire = new_hires[key]
            assert hire.new_person is not None
            number = hire.new_person.staff_number.strip()
        # Roles (A3, A4)
        old_roles = _roles(state_before, tree, systems)
        new_roles = _roles(state_after, tree, systems)
        labels = {s.id: s.name for s, _o in systems}
        for target, roles in (
            (result.roles_gained, new_roles - old_roles),
            (result.roles_lost, old_roles - new_roles),
        ):
            for role, org_id, system_id in sorted(roles, key=lambda r: (r[0], r[1] or 0, r[2] or 0)):
                label = tree.full_name(org_id) if org_id else labels.get(system_id, "")
                target.append(RoleItem(person_id, name, role, label, org_id, system_id, number))
        if person is None:
            note = new_sign_in_note(number, taken=User.objects.filter(username=number).exists())
            result.sign_ins_to_create.append(PersonItem(None, name, "A2.4", note, hire_staff_number=number))
            # A new hire: nothing held yet; a fiscal-year appointee needs a registration (A5.3).
            if state_after.employment_type in EmploymentType.fiscal_year():
                result.network_registrations.append(
                    PersonItem(
                        None,
                        name,
                        "A5.3",
                        _("New fiscal-year appointee: file the network user registration before Form 1."),
                        officer_ids=_officer_ids([u[0] for u in state_after.units], on),
                        hire_staff_number=number,
                    )
                )
            continue
        ended = state_after.employment_type is None
        if ended:
            # A7: every grant still running on or after the end is capped at it (or never starts).
            for g in _open_grants(person, on):
                result.appointment_caps.append(
                    GrantItem(
                        g,
                        person,
                        on,
                        "A7",
                        _officer_ids([u[0] for u in state_before.units], on - dt.timedelta(days=1)),
                        _("ends with the appointment") if g.valid_from < on else _("never takes effect"),
                    )
                )
            user = User.objects.filter(person=person, is_active=True).first()
            if user is not None:
                result.sign_ins_to_disable.append(
                    PersonItem(person.pk, name, "A7", _("no appointment from this date"), user_id=user.pk)
                )
            continue
        if state_before.employment_type is None:
            user = User.objects.filter(person=person, is_active=False).first()
            if user is not None:
                result.sign_ins_to_enable.append(
                    PersonItem(person.pk, name, "A2.4", _("appointed again from this date"), user_id=user.pk)
                )
        # Still employed on the date: A5.5 eligibility, Form 1 sections, A5.3.
        if not _eligible(state_after, tree, entries):
            officers = _officer_ids(
                [u[0] for u in state_before.units + state_after.units], on, exclude=person.pk
            )
            for g in _open_grants(person, on, GrantBasis.DIRECT):
                result.direct_revocations.append(
                    GrantItem(g, person, on, "A5.5", officers, _("no longer covered by Table 2"))
                )
        old_sections = _security_unit_ids(state_before, tree)
        new_sections = _security_unit_ids(state_after, tree)
        if old_sections != new_sections:
            form1 = list(_open_grants(person, on, GrantBasis.APPLICATION))
            numbers = {g.basis_reference for g in form1}
            applying_unit = dict(
                Application.objects.filter(number__in=numbers).values_list("number", "organization_id")
            )
            for g in form1:
                org_id = applying_unit.get(g.basis_reference)
                section = tree.security_unit_of(org_id) if org_id else None
                if section is None or section.id in new_sections:
                    continue
                officers = _officer_ids([section.id, *new_sections], on, exclude=person.pk)
                result.form1_flags.append(
                    GrantItem(
                        g,
                        person,
                        on,
                        "A4",
                        officers,
                        _("leaves %(unit)s, which applied (%(number)s)")
                        % {"unit": section.name, "number": g.basis_reference},
                    )
                )
        if (
            ChangeKind.APPOINTMENT in kinds[key]
            and state_after.employment_type in EmploymentType.fiscal_year()
        ):
            counted = person.network_registrations.filter(
                filed_on__gte=network_registration_window_start(on)
            ).exists()
            if not counted:
                result.network_registrations.append(
                    PersonItem(
                        person.pk,
                        name,
                        "A5.3",
                        _(
                            "New appointment from %(date)s: the registration filed for the previous one does not count."
                        )
                        % {"date": wareki(on)},
                        officer_ids=_officer_ids([u[0] for u in state_after.units], on),
                    )
                )
    return result


# --- Reorganizations (新設・廃止・統合・名称変更): the same kind of preview ----------------------------


@dataclass
class ReorganizationConsequences:
    """What ending ``ending`` and starting ``creating`` on ``on`` does. ``blockers`` are what
    ``organization_reorganize`` / ``organization_end`` would refuse."""

    on: dt.date
    moving: list[tuple[Assignment, str]] = field(default_factory=list)  # (assignment, new unit code)
    stranded: list[Assignment] = field(default_factory=list)  # AS: nowhere to go
    children_left: list[Organization] = field(default_factory=list)  # AS
    systems_moving: list[tuple[System, str]] = field(default_factory=list)  # A3: owner passes to successor
    systems_orphaned: list[System] = field(default_factory=list)  # A3.1: would have no administrator
    stale_table2: list[EligibilityEntry] = field(default_factory=list)  # AS: lines naming an ending unit
    roles_lost: list[RoleItem] = field(default_factory=list)
    roles_gained: list[RoleItem] = field(default_factory=list)

    @property
    def blockers(self) -> bool:
        return bool(self.stranded or self.children_left or self.systems_orphaned or self.stale_table2)

    def as_dict(self) -> dict:
        return {
            "on": self.on.isoformat(),
            "moving": [
                {
                    "person": a.person_id,
                    "person_name": a.person.full_name,
                    "from": a.organization.code,
                    "to": to,
                }
                for a, to in self.moving
            ],
            "stranded": [
                {"person": a.person_id, "person_name": a.person.full_name, "unit": a.organization.code}
                for a in self.stranded
            ],
            "children_left": [o.code for o in self.children_left],
            "systems_moving": [
                {"system": s.code, "from": s.owner.code, "to": to} for s, to in self.systems_moving
            ],
            "systems_orphaned": [s.code for s in self.systems_orphaned],
            "stale_table2": [{"id": e.pk, "listed_as": e.listed_as} for e in self.stale_table2],
            "roles_lost": [r.as_dict() for r in self.roles_lost],
            "roles_gained": [r.as_dict() for r in self.roles_gained],
            "blockers": self.blockers,
        }


def reorganization_consequences(
    *,
    on: dt.date,
    ending: Sequence[Organization],
    creating_codes: dict[str, bool] | None = None,
    moves: dict[str, str] | None = None,
) -> ReorganizationConsequences:
    """A read: who moves where, which systems pass to a successor (or would be orphaned), which
    別表第2 lines still name an ending unit. ``creating_codes`` maps each new unit's code to whether
    it is a security unit; ``moves`` maps an ending unit's code to its successor's code."""
    creating_codes = creating_codes or {}
    moves = moves or {}
    result = ReorganizationConsequences(on=on)
    ending_ids = {o.pk for o in ending}
    by_id = {o.pk: o for o in ending}
    result.children_left = list(
        Organization.objects.filter(overlapping_q(on, None), parent_id__in=ending_ids).exclude(
            id__in=ending_ids
        )
    )
    for a in (
        Assignment.objects.filter(overlapping_q(on, None), organization_id__in=ending_ids)
        .select_related("person", "organization", "post")
        .order_by("organization__code", "person__family_name_kana")
    ):
        target = moves.get(a.organization.code)
        if target is None:
            result.stranded.append(a)
            continue
        result.moving.append((a, target))
        if a.post.is_head and a.is_active_on(on):
            old = by_id[a.organization_id]
            if old.is_security_unit:
                result.roles_lost.append(
                    RoleItem(a.person_id, a.person.full_name, Role.SECURITY_OFFICER, old.name, old.pk)
                )
            is_security = creating_codes.get(target)
            if is_security is None:
                existing = Organization.objects.filter(overlapping_q(on, None), code=target).first()
                is_security = bool(existing and existing.is_security_unit)
            if is_security:
                result.roles_gained.append(
                    RoleItem(a.person_id, a.person.full_name, Role.SECURITY_OFFICER, target)
                )
    for system in System.objects.filter(
        overlapping_q(on, None), parent__isnull=True, owner_id__in=ending_ids
    ).select_related("owner"):
        successor = moves.get(system.owner.code) or (
            system.owner.code if system.owner.code in creating_codes else None
        )
        if successor is None:
            result.systems_orphaned.append(system)
        else:
            result.systems_moving.append((system, successor))
    result.stale_table2 = list(
        EligibilityEntry.objects.filter(overlapping_q(on, None))
        .filter(Q(organization_id__in=ending_ids) | Q(units__in=ending_ids))
        .distinct()
    )
    return result
