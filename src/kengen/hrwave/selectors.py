"""Reads of the HR wave: validating an HR list against the records (set-based) and the consequence
engine run over a whole file.

``wave_validate`` resolves every row (staff number → person, organization code or name → unit,
post code or name → post) with a handful of queries for the whole file and reports every bad row
with its row number, column and reason. ``wave_consequences`` computes exactly what
``personnel.selectors.consequences_of`` computes (the same categories, items, order and
fingerprint: ``tests/test_engine.py`` compares them) with its per-person reads replaced by
bulk reads, so a wave of 40,000 people costs a few dozen queries instead of a few hundred thousand.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from kengen.applications.models import Application, NetworkUserRegistration
from kengen.core.bulk import by_pk, ids_in
from kengen.core.exceptions import Conflict, RuleViolation
from kengen.core.models import active_on_q, overlapping_q
from kengen.eligibility.models import EligibilityEntry
from kengen.eligibility.selectors import entry_covers, table2_as_of
from kengen.grants.choices import GrantBasis
from kengen.grants.models import Grant
from kengen.hrwave.choices import ACTION_WORDS, REQUIRED_FIELDS, WAVE_FIELDS, WaveAction
from kengen.hrwave.models import WaveImport, WaveRow
from kengen.hrwave.reader import MAX_CELL, Sheet, looks_like_formula
from kengen.organizations.models import Organization, Post
from kengen.organizations.selectors import OrgTree
from kengen.people.choices import AppointmentEndReason, EmploymentType
from kengen.people.models import Appointment, Assignment, Person
from kengen.people.selectors import network_registration_window_start
from kengen.personnel.changes import NewPerson, PersonnelChange
from kengen.personnel.choices import ChangeKind
from kengen.personnel.selectors import (
    Consequences,
    GrantItem,
    PersonItem,
    RoleItem,
    _against_scheduled,
    _roles,
    _State,
    new_sign_in_note,
)
from kengen.roles.selectors import heads_of
from kengen.systems.models import System, SystemPermission
from kengen.users.models import User

CHUNK = 5_000
Progress = Callable[[str, int, int], None]

EMPLOYMENT_WORDS: dict[str, str] = {
    **{v: v for v in EmploymentType.values},
    "正規": EmploymentType.REGULAR,
    "正職員": EmploymentType.REGULAR,
    "常勤": EmploymentType.REGULAR,
    "会計年度フルタイム": EmploymentType.FY_FULL_TIME,
    "会計年度(フルタイム)": EmploymentType.FY_FULL_TIME,
    "会計年度パートタイム": EmploymentType.FY_PART_TIME,
    "会計年度(パートタイム)": EmploymentType.FY_PART_TIME,
    "任期付": EmploymentType.OTHER_FIXED_TERM,
}
REASON_WORDS: dict[str, str] = {
    **{v: v for v in AppointmentEndReason.values},
    "退職": AppointmentEndReason.RETIRED,
    "定年退職": AppointmentEndReason.RETIRED,
    "任期満了": AppointmentEndReason.TERM_ENDED,
    "辞職": AppointmentEndReason.RESIGNED,
    "依願退職": AppointmentEndReason.RESIGNED,
}
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
_CP932_FIELDS = ("family_name", "given_name", "family_name_kana", "given_name_kana")
_LIMITS = {
    "staff_number": 20,
    "family_name": 50,
    "given_name": 50,
    "family_name_kana": 100,
    "given_name_kana": 100,
    "email": 254,
}


def _nothing(_phase: str, _done: int, _total: int) -> None:
    return None


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- Validation -------------------------------------------------------------------------------


@dataclass
class RowError:
    """One reason a row (or the header, row 1) is refused."""

    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class Validated:
    """``rows``: normalized rows (JSON-ready, ids resolved); ``errors``: every problem found."""

    encoding: str
    row_count: int
    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def parse_date(text: str) -> dt.date | None:
    """2027-04-01, 2027/4/1, 2027年4月1日, 20270401; None if it is not a date."""
    text = text.strip()
    if len(text) == 8 and text.isdigit():
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    m = _DATE.match(text)
    if not m:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


@dataclass
class _Records:
    """What the file's rows refer to, read in bulk."""

    orgs_by_code: dict[str, list[Organization]]
    orgs_by_name: dict[str, list[Organization]]
    posts: dict[str, Post]
    people: dict[str, Person]
    appointments: dict[int, list[Appointment]]
    assignments: dict[int, list[Assignment]]


@dataclass
class _Units:
    orgs_by_code: dict[str, list[Organization]]
    orgs_by_name: dict[str, list[Organization]]
    posts: dict[str, Post]


def _load_units() -> _Units:
    """Every unit (with its history: a row may be back-dated) and post, read once."""
    by_code: dict[str, list[Organization]] = defaultdict(list)
    by_name: dict[str, list[Organization]] = defaultdict(list)
    for org in Organization.objects.all():  # the default order decides between equal names
        by_code[org.code].append(org)
        by_name[org.name].append(org)
    posts: dict[str, Post] = {}
    for post in Post.objects.all():
        posts.setdefault(post.name, post)
    for post in Post.objects.all():
        posts[post.code] = post  # a code wins over a name
    return _Units(by_code, by_name, posts)


def _load_people(units: _Units, staff_numbers: Sequence[str], since: dt.date) -> _Records:
    people: dict[str, Person] = {}
    for chunk in _chunks(list(staff_numbers)):
        for p in Person.objects.filter(staff_number__in=chunk):
            assert p.staff_number is not None
            people[p.staff_number] = p
    ids = [p.pk for p in people.values()]
    ends = Q(valid_to__isnull=True) | Q(valid_to__gte=since)
    appointments: dict[int, list[Appointment]] = defaultdict(list)
    assignments: dict[int, list[Assignment]] = defaultdict(list)
    for chunk in _chunks(ids):
        for a in Appointment.objects.filter(person_id__in=ids_in(chunk)).filter(ends):
            appointments[a.person_id].append(a)
        for s in Assignment.objects.filter(person_id__in=ids_in(chunk)).filter(ends).select_related("post"):
            assignments[s.person_id].append(s)
    return _Records(units.orgs_by_code, units.orgs_by_name, units.posts, people, appointments, assignments)


def _active(rows: Iterable[Any], on: dt.date) -> list[Any]:
    return [r for r in rows if r.valid_from <= on and (r.valid_to is None or r.valid_to > on)]


def _org_on(records: _Records, text: str, on: dt.date) -> Organization | None:
    for candidates in (records.orgs_by_code.get(text, []), records.orgs_by_name.get(text, [])):
        active = _active(candidates, on)
        if active:
            return active[0]
    return None


def wave_validate(
    sheet: Sheet,
    *,
    mapping: dict[str, str],
    effective_on: dt.date,
    progress: Progress = _nothing,
    sink: Callable[[dict[str, Any]], None] | None = None,
) -> Validated:
    """Every row checked before anything changes; a file with any error changes nothing. The file
    is read and checked in chunks; each valid row goes to ``sink`` as it is checked (until a row is
    refused) — or, without a sink, to ``Validated.rows``."""
    result = Validated(encoding=sheet.encoding, row_count=0)
    errors = result.errors
    labels = dict(WAVE_FIELDS)
    index: dict[str, int] = {}
    header = [h.strip() for h in sheet.header]
    for name, _label in WAVE_FIELDS:
        column = (mapping.get(name) or "").strip()
        if column and column in header:
            index[name] = header.index(column)
        elif name in REQUIRED_FIELDS:
            errors.append(
                RowError(
                    1,
                    column or labels[name],
                    _("The column %(column)s (%(field)s) is not in the file's header.")
                    % {"column": column or "—", "field": labels[name]},
                )
            )
    if errors:
        return result

    def col(name: str) -> str:
        return (mapping.get(name) or labels[name]).strip()

    seen_staff: dict[str, int] = {}
    units = _load_units()

    def check(row_no: int, values: dict[str, str], records: _Records) -> dict[str, Any] | None:
        row_errors: list[RowError] = []

        def err(
            name: str, message: str, row_no: int = row_no, row_errors: list[RowError] = row_errors
        ) -> None:
            row_errors.append(RowError(row_no, col(name), message))

        for name, value in values.items():
            if looks_like_formula(value):
                err(name, _("Looks like a spreadsheet formula; refused."))
            elif len(value) > max(_LIMITS.get(name, MAX_CELL), 1):
                err(name, _("Too long (at most %(n)d characters).") % {"n": _LIMITS.get(name, MAX_CELL)})
            elif any(ord(c) < 32 for c in value):
                err(name, _("Contains control characters."))
        if row_errors:
            errors.extend(row_errors)
            return None
        number = values.get("staff_number", "")
        if not number:
            err("staff_number", _("Staff need a staff number (A2.4)."))
        elif number in seen_staff:
            err(
                "staff_number",
                _("Duplicate staff number %(number)s (also on row %(row)d).")
                % {"number": number, "row": seen_staff[number]},
            )
        else:
            seen_staff[number] = row_no
        action = ACTION_WORDS.get(values.get("action", "").lower()) or ACTION_WORDS.get(
            values.get("action", "")
        )
        if action is None:
            err("action", _("Unknown action %(value)s.") % {"value": values.get("action", "") or "—"})
        on = effective_on
        if values.get("effective_on"):
            parsed = parse_date(values["effective_on"])
            if parsed is None:
                err("effective_on", _("Not a date: %(value)s.") % {"value": values["effective_on"]})
            elif parsed > effective_on:
                err(
                    "effective_on",
                    _("After the wave's date %(date)s; import it with its own date.")
                    % {"date": effective_on.isoformat()},
                )
            else:
                on = parsed
        if row_errors or action is None:
            errors.extend(row_errors)
            return None
        out: dict[str, Any] = {
            "row": row_no,
            "staff_number": number,
            "kind": action,
            "on": on.isoformat(),
            "done": False,
        }
        person = records.people.get(number)
        _validate_action(action, values, on, person, records, out, err)
        if row_errors:
            errors.extend(row_errors)
            return None
        return out

    def validate_chunk(chunk: list[tuple[int, dict[str, str]]]) -> None:
        # The records the chunk's rows refer to, read in bulk: memory stays bounded by the chunk.
        min_date = effective_on
        for _row_no, values in chunk:
            d = parse_date(values.get("effective_on", ""))
            if d is not None and d < min_date:
                min_date = d
        records = _load_people(
            units,
            sorted({v["staff_number"] for _n, v in chunk if v.get("staff_number")}),
            min_date - dt.timedelta(days=1),
        )
        for row_no, values in chunk:
            out = check(row_no, values, records)
            if out is not None:
                if sink is None:
                    result.rows.append(out)
                elif not errors:
                    sink(out)  # once a row is refused, nothing more is kept

    progress("validate", 0, 0)
    chunk: list[tuple[int, dict[str, str]]] = []
    for row_no, cells in sheet.rows:
        chunk.append(
            (row_no, {name: (cells[i].strip() if i < len(cells) else "") for name, i in index.items()})
        )
        result.row_count += 1
        if len(chunk) >= CHUNK:
            validate_chunk(chunk)
            chunk = []
            progress("validate", result.row_count, 0)
    if chunk:
        validate_chunk(chunk)
    if not result.row_count:
        errors.append(RowError(2, "", _("The file has no rows.")))
    progress("validate", result.row_count, result.row_count)
    return result


def _appointment_terms(
    values: dict[str, str], on: dt.date, err: Callable[[str, str], None]
) -> tuple[str, dt.date | None] | None:
    word = values.get("employment_type", "")
    employment_type = EMPLOYMENT_WORDS.get(word)
    if employment_type is None:
        err("employment_type", _("Unknown employment type %(value)s.") % {"value": word or "—"})
        return None
    start = on
    if values.get("appointment_from"):
        parsed = parse_date(values["appointment_from"])
        if parsed is None:
            err("appointment_from", _("Not a date: %(value)s.") % {"value": values["appointment_from"]})
            return None
        start = parsed
    last: dt.date | None = None
    if values.get("appointment_to"):
        last = parse_date(values["appointment_to"])
        if last is None:
            err("appointment_to", _("Not a date: %(value)s.") % {"value": values["appointment_to"]})
            return None
        if last < start or last < on:
            err("appointment_to", _("The appointment period ends before it starts."))
            return None
    if employment_type in EmploymentType.fixed_term() and last is None:
        err("appointment_to", _("A fixed-term appointment needs its end date (A7)."))
        return None
    # The file gives the last day; Kengen stores the first day no longer appointed.
    return employment_type, (last + dt.timedelta(days=1)) if last else None


def _unit(
    values: dict[str, str],
    on: dt.date,
    records: _Records,
    err: Callable[[str, str], None],
    default_post: Post | None = None,
) -> tuple[Organization, Post] | None:
    org_text = values.get("organization", "")
    org = _org_on(records, org_text, on) if org_text else None
    if not org_text:
        err("organization", _("Give the organization."))
    elif org is None:
        candidates = records.orgs_by_code.get(org_text, []) + records.orgs_by_name.get(org_text, [])
        ends = [o.valid_to for o in candidates if o.valid_to is not None and o.valid_to <= on]
        if not candidates:
            err("organization", _("Unknown organization %(value)s.") % {"value": org_text})
        elif len(ends) == len(candidates):  # every unit of that code or name ended by the date
            err(
                "organization",
                _("The organization %(value)s ended on %(end)s, before %(date)s.")
                % {"value": org_text, "end": max(ends).isoformat(), "date": on.isoformat()},
            )
        else:  # not yet in force on the date
            err(
                "organization",
                _("%(value)s is not in force on %(date)s.") % {"value": org_text, "date": on.isoformat()},
            )
    post_text = values.get("post", "")
    post = records.posts.get(post_text) if post_text else default_post
    if post is None:
        err("post", _("Unknown post %(value)s.") % {"value": post_text or "—"})
    if org is None or post is None:
        return None
    return org, post


def _validate_action(
    action: str,
    values: dict[str, str],
    on: dt.date,
    person: Person | None,
    records: _Records,
    out: dict[str, Any],
    err: Callable[[str, str], None],
) -> None:
    if action == WaveAction.HIRE:
        for name in ("family_name", "given_name", "family_name_kana", "given_name_kana"):
            value = values.get(name, "")
            if not value:
                err(name, _("This field is required."))
            elif name in _CP932_FIELDS:
                try:
                    value.encode("cp932")
                except UnicodeEncodeError:
                    err(name, _("Contains characters outside CP932 (forms and exports cannot print them)."))
        terms = _appointment_terms(values, on, err)
        unit = _unit(values, on, records, err)
        if terms is None or unit is None:
            return
        if person is not None:
            held = _active(records.assignments.get(person.pk, []), on)
            if any(a.organization_id == unit[0].pk and a.post_id == unit[1].pk for a in held):
                out["done"] = True  # imported before: already in effect
            else:
                err(
                    "staff_number",
                    _("Staff number %(number)s is already registered.") % {"number": person.staff_number},
                )
                return
        out.update(
            person=person.pk if person else None,
            new_person={
                "staff_number": values["staff_number"],
                "family_name": values["family_name"],
                "given_name": values["given_name"],
                "family_name_kana": values["family_name_kana"],
                "given_name_kana": values["given_name_kana"],
                "email": values.get("email", ""),
            },
            name=f"{values['family_name']} {values['given_name']}",
            employment_type=terms[0],
            appointment_to=terms[1].isoformat() if terms[1] else None,
            organization=unit[0].pk,
            post=unit[1].pk,
        )
        return
    if person is None:
        err("staff_number", _("No person with staff number %(number)s.") % {"number": values["staff_number"]})
        return
    out.update(person=person.pk, name=person.full_name)
    appointments = records.appointments.get(person.pk, [])
    assignments = records.assignments.get(person.pk, [])
    if action == WaveAction.MOVE:
        current = sorted(_active(assignments, on), key=lambda a: (not a.is_primary, a.valid_from))
        if not _active(appointments, on):
            err(
                "staff_number",
                _("%(name)s has no appointment on %(date)s.")
                % {"name": person.full_name, "date": on.isoformat()},
            )
            return
        if not current:
            err(
                "staff_number",
                _("%(name)s has no assignment on %(date)s to move from.")
                % {"name": person.full_name, "date": on.isoformat()},
            )
            return
        unit = _unit(values, on, records, err, default_post=current[0].post)
        if unit is None:
            return
        if any(a.organization_id == unit[0].pk and a.post_id == unit[1].pk for a in current):
            out["done"] = True
        out.update(organization=unit[0].pk, post=unit[1].pk, assignment=current[0].pk)
    elif action == WaveAction.END:
        word = values.get("reason", "") or values.get("action", "")
        reason = REASON_WORDS.get(word)
        if reason is None:
            err("reason", _("Say why the appointment ends (retirement, end of term …)."))
            return
        out["reason"] = reason
        if not _active(appointments, on) and any(a.valid_to == on for a in appointments):
            out["done"] = True  # ended on this date already (imported before)
            return
        if _active(appointments, on - dt.timedelta(days=1)) or _active(appointments, on):
            return
        err(
            "staff_number",
            _("%(name)s has no appointment in force on %(date)s to end.")
            % {"name": person.full_name, "date": on.isoformat()},
        )
    elif action == WaveAction.APPOINTMENT:
        terms = _appointment_terms(values, on, err)
        if terms is None:
            return
        unit = _unit(values, on, records, err) if values.get("organization") else None
        if values.get("organization") and unit is None:
            return
        same = [a for a in appointments if a.valid_from == on and a.employment_type == terms[0]]
        if same:
            out["done"] = True
        elif any(
            a.valid_from < (terms[1] or dt.date.max) and (a.valid_to is None or a.valid_to > on)
            for a in appointments
        ):
            err(
                "appointment_from",
                _("%(name)s already has an appointment overlapping that period; end it first.")
                % {"name": person.full_name},
            )
            return
        out.update(
            employment_type=terms[0],
            appointment_to=terms[1].isoformat() if terms[1] else None,
            organization=unit[0].pk if unit else None,
            post=unit[1].pk if unit else None,
        )


# --- From rows to PersonnelChange -------------------------------------------------------------


def changes_from_rows(rows: Sequence[dict[str, Any]]) -> list[PersonnelChange]:
    """The rows (not already in effect) as ``PersonnelChange``s, with their objects read in bulk."""
    todo = [r for r in rows if not r.get("done")]
    person_ids = sorted({r["person"] for r in todo if r.get("person")})
    people: dict[int, Person] = {}
    for chunk in _chunks(person_ids):
        people.update(by_pk(Person.objects.all(), chunk))
    orgs = Organization.objects.in_bulk(sorted({r["organization"] for r in todo if r.get("organization")}))
    posts = Post.objects.in_bulk(sorted({r["post"] for r in todo if r.get("post")}))
    moving_ids = sorted({r["assignment"] for r in todo if r.get("assignment")})
    moving: dict[int, Assignment] = {}
    for chunk in _chunks(moving_ids):
        moving.update(by_pk(Assignment.objects.select_related("post"), chunk))
    out = []
    for r in todo:
        kind = r["kind"]
        out.append(
            PersonnelChange(
                kind=kind,
                person=people.get(r["person"]) if r.get("person") else None,
                new_person=NewPerson(**r["new_person"]) if kind == ChangeKind.HIRE else None,
                employment_type=r.get("employment_type") or "",
                appointment_to=dt.date.fromisoformat(r["appointment_to"])
                if r.get("appointment_to")
                else None,
                organization=orgs.get(r["organization"]) if r.get("organization") else None,
                post=posts.get(r["post"]) if r.get("post") else None,
                assignment=moving.get(r["assignment"]) if r.get("assignment") else None,
                reason=r.get("reason") or "",
            )
        )
    return out


def wave_dates(wave: WaveImport) -> list[dt.date]:
    """The effective dates of a list's validated rows, oldest first (back-dated entries before the
    wave)."""
    return list(WaveRow.objects.filter(wave=wave).order_by("on").values_list("on", flat=True).distinct())


def wave_chunks(wave: WaveImport, on: dt.date, size: int | None = None) -> Iterator[list[dict[str, Any]]]:
    """The list's validated rows of date ``on`` in file order, ``size`` (default ``CHUNK``) at a
    time, read by row number (keyset): the wave's steps never hold more than one chunk. A person
    is named by one row of a list at most (duplicate staff numbers are refused), so no person is
    in two chunks. The same rows give the same chunks: the preview's plan is kept per chunk."""
    size = size or CHUNK
    rows = WaveRow.objects.filter(wave=wave, on=on).order_by("row_no")
    last = 0
    while True:
        chunk = list(rows.filter(row_no__gt=last).values_list("row_no", "data")[:size])
        if not chunk:
            return
        last = chunk[-1][0]
        yield [data for _n, data in chunk]
        if len(chunk) < size:
            return


def wave_groups(wave: WaveImport) -> Iterator[tuple[dt.date, list[dict[str, Any]]]]:
    """A list's validated rows by effective date, oldest first, in file order — each date's rows
    whole: for small lists and tests (the wave's own steps read ``wave_chunks``)."""
    for on in wave_dates(wave):
        yield on, [r for chunk in wave_chunks(wave, on) for r in chunk]


def wave_person_ids(wave: WaveImport) -> list[int]:
    """The people a list's rows name (not its new hires), sorted, read in chunks."""
    ids = (
        WaveRow.objects.filter(wave=wave)
        .order_by("row_no")
        .values_list("data__person", flat=True)
        .iterator(chunk_size=CHUNK)
    )
    return sorted({i for i in ids if i})


def rows_by_date(rows: Sequence[dict[str, Any]]) -> list[tuple[dt.date, list[dict[str, Any]]]]:
    """Rows grouped by their effective date, oldest first (back-dated entries before the wave)."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[r["on"]].append(r)
    return [(dt.date.fromisoformat(d), groups[d]) for d in sorted(groups)]


# --- The consequence engine, set-based ------------------------------------------------------


@dataclass
class WaveConsequences:
    """``consequences`` (the personnel engine's type) plus what only a wave lists: people who become
    eligible for a direct grant (A5.5: offered to the administrator, never granted silently)."""

    consequences: Consequences
    newly_eligible: list[PersonItem] = field(default_factory=list)


class _Officers:
    """Security officers (A4) per unit, each security unit's heads read once."""

    def __init__(self) -> None:
        self.trees: dict[dt.date, OrgTree] = {}
        self.heads: dict[tuple[int, dt.date], tuple[int, ...]] = {}

    def tree(self, on: dt.date) -> OrgTree:
        if on not in self.trees:
            self.trees[on] = OrgTree(on)
        return self.trees[on]

    def ids(self, org_ids: Iterable[int], on: dt.date, exclude: int | None = None) -> tuple[int, ...]:
        out: list[int] = []
        tree = self.tree(on)
        for org_id in org_ids:
            unit = tree.security_unit_of(org_id)
            if unit is None:
                continue
            key = (unit.id, on)
            if key not in self.heads:
                self.heads[key] = tuple(heads_of(unit.id, on).values_list("pk", flat=True))
            for pk in self.heads[key]:
                if pk not in out and pk != exclude:
                    out.append(pk)
        return tuple(out)


def _after(change: PersonnelChange, state: _State) -> _State:
    """``personnel.selectors._apply_to_state`` with the moving assignment already read."""
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
        moving = change.assignment
        assert moving is not None and change.organization is not None
        post = change.post or moving.post
        units = [u for u in state.units if (u[0], u[1]) != (moving.organization_id, moving.post_id)]
        units.append((change.organization.pk, post.pk, post.is_head))
        return _State(state.employment_type, units, state.appointment_to)
    return _State(None, [], None)


class DateContext:
    """What the engine reads once per date and shares between the chunks of a wave (the org tree,
    the security officers, Table 2, the root systems), and the checks that span the whole date:
    one head per unit across every chunk (``heads_add`` per chunk, ``finish`` once at the end).
    Compact: the heads are a few per unit, the date's people a set of ids."""

    def __init__(self, on: dt.date) -> None:
        self.on = on
        self.officers = _Officers()
        self.tree = self.officers.tree(on)
        self.entries: list[EligibilityEntry] = list(table2_as_of(on))
        self.systems = [
            (s, (o.id if (o := s.owner_on(on)) is not None else None))
            for s in System.objects.as_of(on).filter(parent__isnull=True).select_related("owner")
        ]
        self.labels = {s.id: s.name for s, _o in self.systems}
        self.covered: dict[int, bool] = {}
        self.heads: dict[int, str] = {}  # unit id -> the name of who heads it after the date
        self.person_ids: set[int] = set()  # everyone the date's changes name

    def heads_add(self, after: dict[object, tuple[str, _State]]) -> None:
        """``personnel.selectors._check_one_head``'s first half, one chunk at a time, in order."""
        for key, (name, state) in after.items():
            if isinstance(key, int):
                self.person_ids.add(key)
            for org_id, _post, is_head in state.units:
                if not is_head:
                    continue
                if org_id in self.heads:
                    raise Conflict(
                        _(
                            "%(a)s and %(b)s would both head the same unit on %(date)s (one head per unit per date)."
                        )
                        % {"a": self.heads[org_id], "b": name, "date": _wareki(self.on)},
                        field="post",
                    )
                self.heads[org_id] = name

    def finish(self) -> None:
        """``_check_one_head``'s second half over the whole date: no unit the changes give a head
        already has one who is not among the date's people."""
        if not self.heads:
            return
        others = (
            Assignment.objects.filter(organization_id__in=list(self.heads), post__is_head=True)
            .filter(active_on_q(self.on))
            .select_related("person", "organization")
            .order_by("pk")
        )
        for clash in others.iterator(chunk_size=CHUNK):
            if clash.person_id in self.person_ids:
                continue
            raise Conflict(
                _(
                    "%(unit)s already has a head on %(date)s: %(name)s. Record their move or end first, "
                    "or in the same batch (one head per unit per date)."
                )
                % {
                    "unit": clash.organization.name,
                    "name": clash.person.full_name,
                    "date": _wareki(self.on),
                },
                field="post",
            )


def wave_consequences(
    changes: Sequence[PersonnelChange],
    *,
    on: dt.date,
    context: DateContext | None = None,
    rows_only: bool = False,
) -> WaveConsequences:
    """``consequences_of(changes, on=on)`` computed with bulk reads (the rows were validated by
    ``wave_validate``, which makes the per-change refusals of ``consequences_of`` set-based).

    With ``context``, ``changes`` are one chunk of the date's changes (no person in two chunks):
    the per-date reads are shared and the one-head check is left to ``context.finish()`` once the
    last chunk is done. Without it, ``changes`` are the whole date. ``rows_only``: the listed grants
    as plain ``GrantRow``s (what the preview and the plan read of them) instead of model instances."""
    batch = list(changes)
    if not batch:
        raise RuleViolation(_("Nothing to change."), field="changes")
    result = Consequences(on=on, changes=batch)
    wave = WaveConsequences(result)
    whole_date = context is None
    ctx = context if context is not None else DateContext(on)
    officers, tree, entries = ctx.officers, ctx.tree, ctx.entries
    systems, labels, covered = ctx.systems, ctx.labels, ctx.covered

    def eligible(state: _State) -> bool:
        if state.employment_type is None or state.employment_type in EmploymentType.fiscal_year():
            return False
        for org_id, _p, _h in state.units:
            if org_id not in covered:
                covered[org_id] = any(entry_covers(e, org_id, tree) for e in entries)
            if covered[org_id]:
                return True
        return False

    def sections(state: _State) -> set[int]:
        out = set()
        for org_id, _p, _h in state.units:
            unit = tree.security_unit_of(org_id)
            if unit is not None:
                out.add(unit.id)
        return out

    ids = sorted({c.person.pk for c in batch if c.person is not None})
    appointment: dict[int, tuple[str, dt.date | None]] = {}
    units: dict[int, list[tuple[int, int, bool]]] = defaultdict(list)
    grants: dict[int, list[_HeldGrant]] = defaultdict(list)
    users: dict[int, int] = {}
    inactive: dict[int, int] = {}
    registered: set[int] = set()
    hire_numbers = [c.new_person.staff_number.strip() for c in batch if c.new_person is not None]
    taken: set[str] = set()
    for chunk_numbers in _chunks(hire_numbers):
        taken.update(User.objects.filter(username__in=chunk_numbers).values_list("username", flat=True))
    for chunk in _chunks(ids):
        # Plain tuples here too (a model instance per appointment and assignment cost more than
        # the queries).
        for pid, employment_type, valid_to in (
            Appointment.objects.filter(active_on_q(on), person_id__in=ids_in(chunk))
            .order_by("valid_from")
            .values_list("person_id", "employment_type", "valid_to")
        ):
            appointment[pid] = (employment_type, valid_to)  # the latest start wins (appointment_on)
        for pid, unit_id, post_id, is_head in (
            Assignment.objects.filter(active_on_q(on), person_id__in=ids_in(chunk))
            .order_by("person_id", "id")
            .values_list("person_id", "organization_id", "post_id", "post__is_head")
        ):
            units[pid].append((unit_id, post_id, is_head))
        # Plain tuples: most grants of the people moving are untouched, and a model instance per
        # grant (with its account, system and permission) was most of the engine's time.
        for gid, pid, basis, valid_from, reference in (
            Grant.objects.filter(account__person_id__in=ids_in(chunk), ended_at__isnull=True)
            .filter(overlapping_q(on, None))
            .order_by("account__system__sort_order", "permission__sort_order", "id")
            .values_list("id", "account__person_id", "basis", "valid_from", "basis_reference")
        ):
            grants[pid].append(_HeldGrant(gid, basis, valid_from, reference))
        for uid, pid in (
            User.objects.filter(person_id__in=ids_in(chunk), is_active=True)
            .order_by("pk")
            .values_list("pk", "person_id")
        ):
            users.setdefault(pid, uid)
        for uid, pid in (
            User.objects.filter(person_id__in=ids_in(chunk), is_active=False)
            .order_by("pk")
            .values_list("pk", "person_id")
        ):
            inactive.setdefault(pid, uid)
        registered.update(
            NetworkUserRegistration.objects.filter(
                person_id__in=ids_in(chunk), filed_on__gte=network_registration_window_start(on)
            ).values_list("person_id", flat=True)
        )
    people: dict[object, Person | None] = {}
    before: dict[object, tuple[str, _State]] = {}
    after: dict[object, tuple[str, _State]] = {}
    kinds: dict[object, set[str]] = {}
    for i, change in enumerate(batch):
        key: object = change.person.pk if change.person is not None else f"new-{i}"
        if key not in before:
            people[key] = change.person
            if change.person is not None:
                current = appointment.get(change.person.pk)
                state = _State(
                    current[0] if current else None,
                    list(units.get(change.person.pk, [])),
                    current[1] if current else None,
                )
            else:
                state = _State(None, [])
            before[key] = (change.name, state)
            after[key] = (change.name, state)
        after[key] = (change.name, _after(change, after[key][1]))
        kinds.setdefault(key, set()).add(change.kind)
    ctx.heads_add(after)
    if whole_date:
        ctx.finish()
    result.pending_later = _against_scheduled(batch, on)
    hires = {f"new-{i}": c for i, c in enumerate(batch) if c.new_person is not None}

    flagged: list[tuple[Person, _State, set[int], list[_HeldGrant]]] = []
    # The notes listed per grant, translated once (not once per grant).
    ends_with_appointment = _("ends with the appointment")
    never_takes_effect = _("never takes effect")
    no_longer_covered = _("no longer covered by Table 2")
    for key, (name, state_after) in after.items():
        person = people[key]
        state_before = before[key][1]
        person_id = person.pk if person is not None else None
        number = ""
        if person is None:
            hire = hires[key]  # type: ignore[index]
            assert hire.new_person is not None
            number = hire.new_person.staff_number.strip()
        old_roles = _roles(state_before, tree, systems)
        new_roles = _roles(state_after, tree, systems)
        for target, roles in (
            (result.roles_gained, new_roles - old_roles),
            (result.roles_lost, old_roles - new_roles),
        ):
            for role, org_id, system_id in sorted(roles, key=lambda r: (r[0], r[1] or 0, r[2] or 0)):
                label = tree.full_name(org_id) if org_id else labels.get(system_id, "")
                target.append(RoleItem(person_id, name, role, label, org_id, system_id, number))
        if person is None:
            note = new_sign_in_note(number, taken=number in taken)
            result.sign_ins_to_create.append(PersonItem(None, name, "A2.4", note, hire_staff_number=number))
            if state_after.employment_type in EmploymentType.fiscal_year():
                result.network_registrations.append(
                    PersonItem(
                        None,
                        name,
                        "A5.3",
                        _("New fiscal-year appointee: file the network user registration before Form 1."),
                        officer_ids=officers.ids([u[0] for u in state_after.units], on),
                        hire_staff_number=number,
                    )
                )
            elif eligible(state_after):
                wave.newly_eligible.append(
                    PersonItem(
                        None,
                        name,
                        "A5.5",
                        _("Covered by Table 2: may be granted directly."),
                        hire_staff_number=number,
                    )
                )
            continue
        held = grants.get(person.pk, [])
        if state_after.employment_type is None:
            day_before = on - dt.timedelta(days=1)
            capping = officers.ids([u[0] for u in state_before.units], day_before)
            for g in held:
                result.appointment_caps.append(
                    GrantItem(
                        g,  # type: ignore[arg-type]  # a placeholder until _materialize
                        person,
                        on,
                        "A7",
                        capping,
                        ends_with_appointment if g.valid_from < on else never_takes_effect,
                    )
                )
            if person.pk in users:
                result.sign_ins_to_disable.append(
                    PersonItem(
                        person.pk, name, "A7", _("no appointment from this date"), user_id=users[person.pk]
                    )
                )
            continue
        if state_before.employment_type is None and person.pk in inactive:
            result.sign_ins_to_enable.append(
                PersonItem(
                    person.pk, name, "A2.4", _("appointed again from this date"), user_id=inactive[person.pk]
                )
            )
        now_eligible = eligible(state_after)
        if not now_eligible:
            direct = [g for g in held if g.basis == GrantBasis.DIRECT]
            if direct:
                told = officers.ids(
                    [u[0] for u in state_before.units + state_after.units], on, exclude=person.pk
                )
                for g in direct:
                    result.direct_revocations.append(
                        GrantItem(g, person, on, "A5.5", told, no_longer_covered)  # type: ignore[arg-type]
                    )
        elif not eligible(state_before):
            wave.newly_eligible.append(
                PersonItem(
                    person.pk, name, "A5.5", _("Covered by Table 2 from this date: may be granted directly.")
                )
            )
        old_sections = sections(state_before)
        new_sections = sections(state_after)
        if old_sections != new_sections:
            form1 = [g for g in held if g.basis == GrantBasis.APPLICATION]
            if form1:
                flagged.append((person, state_after, new_sections, form1))
        if (
            ChangeKind.APPOINTMENT in kinds[key]
            and state_after.employment_type in EmploymentType.fiscal_year()
            and person.pk not in registered
        ):
            result.network_registrations.append(
                PersonItem(
                    person.pk,
                    name,
                    "A5.3",
                    _(
                        "New appointment from %(date)s: the registration filed for the previous one does not count."
                    )
                    % {"date": _wareki(on)},
                    officer_ids=officers.ids([u[0] for u in state_after.units], on),
                )
            )
    numbers = sorted({g.basis_reference for _p, _s, _n, gs in flagged for g in gs})
    applying: dict[str, int] = {}
    for chunk in _chunks(numbers):
        applying.update(Application.objects.filter(number__in=chunk).values_list("number", "organization_id"))
    # Form 1 flags in the engine's order: per person, after their A5.5 items (it keeps one list).
    for person, _state, new_sections, form1 in flagged:
        for g in form1:
            org_id = applying.get(g.basis_reference)
            section = tree.security_unit_of(org_id) if org_id else None
            if section is None or section.id in new_sections:
                continue
            told = officers.ids([section.id, *new_sections], on, exclude=person.pk)
            result.form1_flags.append(
                GrantItem(
                    g,  # type: ignore[arg-type]  # a placeholder until _materialize
                    person,
                    on,
                    "A4",
                    told,
                    _("leaves %(unit)s, which applied (%(number)s)")
                    % {"unit": section.name, "number": g.basis_reference},
                )
            )
    _materialize(result, rows_only=rows_only)
    return wave


@dataclass(frozen=True)
class _HeldGrant:
    """What the engine reads of a grant to decide (the Grant itself is read only if listed)."""

    pk: int
    basis: str
    valid_from: dt.date
    basis_reference: str


@dataclass(slots=True)
class AccountRow:
    """The parts of a grant's account applying reads (no model instance)."""

    user_id: str
    person_id: int | None
    system_id: int
    system: System


@dataclass(slots=True)
class GrantRow:
    """A grant as applying reads it: its own fields, its account's, and the shared system and
    permission (a plain row: a ``Grant`` and ``Account`` instance per grant was most of reading
    the plan back). Prints as ``Grant`` does."""

    pk: int
    account_id: int
    account: AccountRow
    permission_id: int
    permission: SystemPermission
    valid_from: dt.date
    valid_to: dt.date | None
    purpose: str
    purpose_approved_by_id: int | None
    basis: str
    basis_reference: str
    end_reason: str
    end_note: str
    ended_at: dt.datetime | None
    label: str = ""  # str(Grant): "user ID system permission", the permission's part printed once

    def __str__(self) -> str:
        return self.label


_GRANT_ROW_FIELDS = (
    "id",
    "account_id",
    "account__user_id",
    "account__person_id",
    "account__system_id",
    "permission_id",
    "valid_from",
    "valid_to",
    "purpose",
    "purpose_approved_by_id",
    "basis",
    "basis_reference",
    "end_reason",
    "end_note",
    "ended_at",
)


def _materialize(result: Consequences, *, rows_only: bool = False) -> None:
    """Replace the listed grants' placeholders by Grant rows (account, system, permission), read in
    bulk; systems and permissions are read once, not joined per grant. ``rows_only``: plain
    ``GrantRow``s instead of model instances (applying needs no more)."""
    from dataclasses import replace

    lists = (result.direct_revocations, result.form1_flags, result.appointment_caps)
    ids = sorted({item.grant.pk for items in lists for item in items})
    if not ids:
        return
    systems = System.objects.in_bulk()
    permissions = SystemPermission.objects.in_bulk()
    for perm in permissions.values():
        perm.system = systems[perm.system_id]
    rows: dict[int, Any] = {}
    printed = {pk: str(perm) for pk, perm in permissions.items()} if rows_only else {}
    for chunk in _chunks(ids):
        if rows_only:
            for gid, aid, uid, pid, sid, perm_id, *fields in Grant.objects.filter(
                pk__in=ids_in(chunk)
            ).values_list(*_GRANT_ROW_FIELDS):
                row = GrantRow(
                    gid, aid, AccountRow(uid, pid, sid, systems[sid]), perm_id, permissions[perm_id], *fields
                )
                row.label = f"{uid} {printed[perm_id]}"  # Grant.__str__
                rows[gid] = row
            continue
        for g in Grant.objects.filter(pk__in=ids_in(chunk)).select_related("account"):
            g.account.system = systems[g.account.system_id]
            g.permission = permissions[g.permission_id]
            rows[g.pk] = g
    for items in lists:
        items[:] = [replace(item, grant=rows[item.grant.pk]) for item in items]


def _wareki(on: dt.date) -> str:
    from kengen.core.era import wareki

    return wareki(on)


_DIGESTED = (
    "changes",
    "roles_gained",
    "roles_lost",
    "direct_revocations",
    "form1_flags",
    "appointment_caps",
    "network_registrations",
    "sign_ins_to_disable",
    "sign_ins_to_create",
    "sign_ins_to_enable",
)


class DateDigest:
    """A digest of one date's consequences (what ``Consequences.fingerprint`` covers), fed chunk
    by chunk: the same for any chunk size, since each category's items come in the same order
    (chunks follow the file, and each person's items come from their own chunk). Changes
    scheduled for a later date are digested as a set (they are few and listed in the scheduled
    changes' order, not the file's)."""

    def __init__(self, on: dt.date) -> None:
        self.on = on
        self.hashes = {name: hashlib.sha256() for name in _DIGESTED}
        self.later: list[str] = []
        self.any = False

    # ``json.dumps(item, sort_keys=True, ensure_ascii=False, default=str)``, its encoder made once.
    _encode = json.JSONEncoder(sort_keys=True, ensure_ascii=False, default=str).encode

    @staticmethod
    def _text(item: Any) -> bytes:
        return (DateDigest._encode(item) + "\n").encode()

    def add(self, c: Consequences) -> None:
        self.any = True
        data = c.as_dict()
        for name in _DIGESTED:
            h = self.hashes[name]
            for item in data[name]:
                h.update(self._text(item))
        self.later.extend(self._text(item).decode() for item in data["pending_later"])

    def part(self) -> str:
        """``"<date>:<digest>"``, one of the parts of ``fingerprint``."""
        h = hashlib.sha256(self.on.isoformat().encode())
        for name in _DIGESTED:
            h.update(f"{name}:{self.hashes[name].hexdigest()}".encode())
        for text in sorted(self.later):
            h.update(text.encode())
        return f"{self.on.isoformat()}:{h.hexdigest()[:32]}"


def fingerprint(parts: Iterable[str]) -> str:
    """One digest over the per-date fingerprints (``Consequences.fingerprint``)."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode())
    return h.hexdigest()[:32]


def one_head_refusal(exc: Conflict) -> RowError:
    return RowError(0, "post", str(exc.message))


# --- The preview's plan: what applying writes, kept by id -------------------------------------

_ROLE_LISTS = ("roles_gained", "roles_lost")
_GRANT_LISTS = ("direct_revocations", "form1_flags", "appointment_caps")
_PERSON_LISTS = ("network_registrations", "sign_ins_to_disable", "sign_ins_to_enable")


def plan_chunk(wc: WaveConsequences, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One chunk's plan as one part, marked with the chunk's first and last row numbers so that
    applying reads it back for exactly the same rows (``plan_matches``)."""
    (part,) = plan_dump(wc, part_size=1 << 62)
    return {"rows": [rows[0]["row"], rows[-1]["row"], len(rows)], **part}


def plan_matches(part: dict[str, Any] | None, rows: Sequence[dict[str, Any]]) -> bool:
    """True if ``part`` was kept for exactly this chunk of rows."""
    return part is not None and part.get("rows") == [rows[0]["row"], rows[-1]["row"], len(rows)]


def plan_dump(wc: WaveConsequences, *, part_size: int = CHUNK) -> list[dict[str, list[list[Any]]]]:
    """The consequences applying acts on, as JSON-ready parts of at most ``part_size`` items per
    category (always at least one part): roles gained and lost, the grants revoked, flagged and
    capped (by id), the registrations and sign-ins (``plan_load`` rebuilds them)."""
    c = wc.consequences
    lists: dict[str, list[list[Any]]] = {}
    for name in _ROLE_LISTS:
        lists[name] = [
            [r.person_id, r.person_name, r.role, r.label, r.organization_id, r.system_id, r.hire_staff_number]
            for r in getattr(c, name)
        ]
    for name in _GRANT_LISTS:
        lists[name] = [
            [g.grant.pk, g.person.pk, g.ends_on.isoformat(), g.clause, list(g.officer_ids), g.note]
            for g in getattr(c, name)
        ]
    for name in _PERSON_LISTS:
        lists[name] = [
            [
                p.person_id,
                p.person_name,
                p.clause,
                p.note,
                p.user_id,
                list(p.officer_ids),
                p.hire_staff_number,
            ]
            for p in getattr(c, name)
        ]
    longest = max(len(items) for items in lists.values())
    return [
        {name: items[start : start + part_size] for name, items in lists.items()}
        for start in range(0, max(longest, 1), part_size)
    ]


def _padded(row: list[Any], width: int) -> list[Any]:
    """A kept plan's row, with ``""`` for the columns a plan kept before they existed (a new
    hire's staff number)."""
    return row + [""] * (width - len(row))


def plan_load(
    parts: Iterable[dict[str, list[list[Any]]]], changes: Sequence[PersonnelChange], *, on: dt.date
) -> WaveConsequences:
    """The consequences ``plan_dump`` kept, with their grants (account, system, permission) and
    people read in bulk: what ``wave_consequences`` gave at the preview, for applying it."""
    result = Consequences(on=on, changes=list(changes))
    grant_rows: dict[str, list[list[Any]]] = defaultdict(list)
    for part in parts:
        for name in _ROLE_LISTS:
            getattr(result, name).extend(
                RoleItem(pid, pname, role, label, org, system, hire_staff_number=hire)
                for pid, pname, role, label, org, system, hire in (
                    _padded(row, 7) for row in part.get(name, [])
                )
            )
        for name in _PERSON_LISTS:
            getattr(result, name).extend(
                PersonItem(
                    pid, pname, clause, note, user_id=uid, officer_ids=tuple(officers), hire_staff_number=hire
                )
                for pid, pname, clause, note, uid, officers, hire in (
                    _padded(row, 7) for row in part.get(name, [])
                )
            )
        for name in _GRANT_LISTS:
            grant_rows[name].extend(part.get(name, []))
    # The people the changes name were read with them: only the others are read here.
    people: dict[int, Person] = {c.person.pk: c.person for c in changes if c.person is not None}
    person_ids = sorted({row[1] for rows in grant_rows.values() for row in rows} - set(people))
    for chunk in _chunks(person_ids):
        people.update(by_pk(Person.objects.all(), chunk))
    for name, rows in grant_rows.items():
        getattr(result, name).extend(
            GrantItem(
                _HeldGrant(gid, "", on, ""),  # type: ignore[arg-type]  # a placeholder until _materialize
                people[pid],
                dt.date.fromisoformat(ends_on),
                clause,
                tuple(officers),
                note,
            )
            for gid, pid, ends_on, clause, officers, note in rows
        )
    _materialize(result, rows_only=True)
    return WaveConsequences(result)
