"""The bulk personnel wave: import an HR list, preview every consequence, apply it — all of it or
none of it — now or on its date (``kengen run-due``).

The write path is set-based: the rules are the personnel app's (validation mirrors its refusals,
``selectors.wave_consequences`` is its consequence engine over the whole file, the notices are
``personnel.services.consequence_notices``), but rows are written with ``COPY`` (``core.bulk.insert_many``) and
set-wise ``UPDATE``s, and the audit events — the same events, with the same content, that the
per-row services write (person created, appointment started/ended, assignment started/ended, grant
ended, sign-in disabled), plus one ``personnel.applied`` event per change — are chained in order in
Python under one chain-head lock (``audit.services.audit_record_many``). Everything happens in one
transaction; re-applying, or re-importing the same file, changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kengen.audit.choices import AuditAction
from kengen.audit.models import AuditChainHead
from kengen.audit.services import EventSpec, audit_record, audit_record_many
from kengen.core.bulk import ids_in, insert_many, insert_rows, write_tuples
from kengen.core.exceptions import Conflict, DomainError, RuleViolation
from kengen.core.models import active_on_q, overlapping_q
from kengen.core.permissions import require_personnel
from kengen.core.types import Actor
from kengen.grants.choices import EndReason
from kengen.grants.models import Grant
from kengen.hrwave.choices import DEFAULT_MAPPING, WAVE_FIELDS, WaveStatus
from kengen.hrwave.models import ColumnMapping, WaveImport, WaveLine, WavePlan, WaveRow
from kengen.hrwave.progress import progress_write
from kengen.hrwave.reader import read_sheet
from kengen.hrwave.selectors import (
    CHUNK,
    DateContext,
    DateDigest,
    GrantRow,
    Progress,
    RowError,
    WaveConsequences,
    changes_from_rows,
    fingerprint,
    plan_chunk,
    plan_load,
    plan_matches,
    wave_chunks,
    wave_consequences,
    wave_dates,
    wave_person_ids,
    wave_validate,
)
from kengen.notifications.choices import EmailStatus
from kengen.notifications.models import Notification
from kengen.notifications.services import notification_deliver
from kengen.organizations.models import Organization, Post
from kengen.organizations.selectors import OrgTree
from kengen.people.choices import AssignmentEndReason, PersonKind
from kengen.people.models import Appointment, Assignment, Person
from kengen.personnel.choices import ChangeKind
from kengen.personnel.services import consequence_notices
from kengen.users.models import User

ProgressHook = Callable[[str, int, int], None]


def _user(actor: Actor) -> User | None:
    return actor if actor is not None and getattr(actor, "pk", None) else None


def _hook(wave_key: str | None, extra: ProgressHook | None) -> Progress:
    def report(phase: str, done: int, total: int) -> None:
        if wave_key:
            progress_write(wave_key, phase, done, total)
        if extra is not None:
            extra(phase, done, total)

    return report


# --- Column mappings -----------------------------------------------------------------------------


def mapping_columns(mapping: ColumnMapping | None) -> dict[str, str]:
    """The header text for each field: the saved mapping's, else the default."""
    if mapping is None:
        mapping = ColumnMapping.objects.filter(name="default").first()
    return {**DEFAULT_MAPPING, **(mapping.columns if mapping is not None else {})}


@transaction.atomic
def column_mapping_save(
    *, actor: Actor, name: str, columns: dict[str, str], mapping: ColumnMapping | None = None
) -> ColumnMapping:
    """Create or change a saved mapping (which header holds which field)."""
    require_personnel(actor)
    name = name.strip()
    if not name:
        raise RuleViolation(_("Give the mapping a name."), field="name")
    known = {f for f, _l in WAVE_FIELDS}
    unknown = set(columns) - known
    if unknown:
        raise RuleViolation(_("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))}, field="columns")
    clean = {k: v.strip() for k, v in columns.items() if v.strip()}
    headers = list(clean.values())
    if len(headers) != len(set(headers)):
        raise RuleViolation(_("Two fields are mapped to the same column."), field="columns")
    for required in ("staff_number", "action"):
        if required not in clean:
            raise RuleViolation(_("Map the staff number and the action."), field=required)
    taken = ColumnMapping.objects.filter(name=name)
    if mapping is not None:
        taken = taken.exclude(pk=mapping.pk)
    if taken.exists():
        raise Conflict(_("A mapping with that name exists."), field="name")
    old = None
    if mapping is None:
        row = ColumnMapping.objects.create(name=name, columns=clean)
    else:
        row = ColumnMapping.objects.select_for_update().get(pk=mapping.pk)
        old = {"name": row.name, "columns": row.columns}
        row.name, row.columns = name, clean
        row.save(update_fields=["name", "columns", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.HR_MAPPING_SAVED,
        target=row,
        old=old,
        new={"name": name, "columns": clean},
    )
    return row


@transaction.atomic
def column_mapping_delete(*, actor: Actor, mapping: ColumnMapping) -> None:
    """Delete a saved mapping that no imported list was read with (those keep it, to show how
    they were read)."""
    require_personnel(actor)
    row = ColumnMapping.objects.select_for_update().filter(pk=mapping.pk).first()
    if row is None:
        return
    if WaveImport.objects.filter(mapping=row).exists():
        raise Conflict(_("HR lists were imported with this mapping; it cannot be deleted."), field="mapping")
    audit_record(
        actor=actor,
        action=AuditAction.HR_MAPPING_DELETED,
        target=row,
        old={"name": row.name, "columns": row.columns},
    )
    row.delete()


# --- Import and preview ------------------------------------------------------------------------------


@dataclass
class _Line:
    row: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def _describe_units(units: Iterable[tuple[int, int, bool]], tree: OrgTree, posts: dict[int, str]) -> str:
    return "、".join(f"{tree.full_name(o)} {posts.get(p, '')}".strip() for o, p, _h in units)[:300]


def _preview(wave: WaveImport, progress: Progress) -> str:
    """Compute the consequences per date, chunk by chunk (``selectors.wave_chunks``), and write
    each chunk's preview lines and plan as it goes (bulk); the whole-date checks (one head per
    unit) run once the date's last chunk is done. Memory is bounded by the chunk, not the list."""
    from kengen.organizations.models import Post

    progress("preview", 0, wave.row_count)
    WaveLine.objects.filter(wave=wave).delete()
    WavePlan.objects.filter(wave=wave).delete()
    posts = dict(Post.objects.values_list("pk", "name"))
    totals: dict[str, int] = defaultdict(int)
    officers: set[int] = set()
    parts: list[str] = []
    done_rows = 0
    for on in wave_dates(wave):
        context: DateContext | None = None
        digest = DateDigest(on)
        for n, rows in enumerate(wave_chunks(wave, on)):
            if context is None:
                context = DateContext(on)
            _preview_chunk(wave, on, n, rows, context, digest, posts, totals, officers)
            done_rows += len(rows)
            progress("preview", done_rows, wave.row_count)
        if context is not None:
            context.finish()  # one head per unit, over the whole date
        if digest.any:
            parts.append(digest.part())
    totals["officers_to_notify"] = len(officers)
    wave.totals = dict(totals)
    wave.fingerprint = fingerprint(parts)
    return wave.fingerprint


_LINE_FIELDS = (
    "wave_id",
    "row_no",
    "staff_number",
    "name",
    "action",
    "effective_on",
    "before",
    "after",
    "consequences",
    "already_done",
)


def _preview_chunk(
    wave: WaveImport,
    on: dt.date,
    n: int,
    rows: list[dict[str, Any]],
    context: DateContext,
    digest: DateDigest,
    posts: dict[int, str],
    totals: dict[str, int],
    officers: set[int],
) -> None:
    """One chunk of a date: its lines (already in effect, then the changes) and its plan."""
    tree = context.tree
    # Lines as plain tuples (``_LINE_FIELDS``), written with COPY: no model instance per line.
    lines: list[tuple[Any, ...]] = []
    for r in rows:
        if r.get("done"):
            totals["already_done"] += 1
            lines.append(
                (
                    wave.pk,
                    r["row"],
                    r["staff_number"],
                    (r.get("name") or "")[:101],
                    r["kind"],
                    on,
                    "",
                    "",
                    "",
                    True,
                )
            )
    write_tuples(WaveLine, _LINE_FIELDS, lines)
    lines = []
    changes = changes_from_rows(rows)
    todo = [r for r in rows if not r.get("done")]
    if not changes:
        return
    wc = wave_consequences(changes, on=on, context=context, rows_only=True)
    WavePlan.objects.create(wave=wave, on=on, part=n, items=plan_chunk(wc, rows))
    c = wc.consequences
    digest.add(c)
    notes: dict[object, list[str]] = defaultdict(list)

    def who(person_id: int | None, hire_staff_number: str) -> object:
        return person_id if person_id is not None else hire_staff_number

    for item in c.roles_gained:
        notes[who(item.person_id, item.hire_staff_number)].append(
            _("gains %(role)s (%(label)s)") % {"role": item.role_label, "label": item.label}
        )
    for item in c.roles_lost:
        notes[who(item.person_id, item.hire_staff_number)].append(
            _("loses %(role)s (%(label)s)") % {"role": item.role_label, "label": item.label}
        )
    # Each text translated once per chunk, not once per item.
    for text, grant_items in (
        (_("A5.5 direct grant revoked: %(s)s %(p)s"), c.direct_revocations),
        (_("A4 Form 1 grant to re-apply or cancel: %(s)s %(p)s"), c.form1_flags),
        (_("A7 grant ends with the appointment: %(s)s %(p)s"), c.appointment_caps),
    ):
        for g in grant_items:
            notes[g.person.pk].append(text % {"s": g.grant.account.system.name, "p": g.grant.permission.name})
    text = _("A5.3 network user registration needed")
    for p in c.network_registrations:
        notes[who(p.person_id, p.hire_staff_number)].append(text)
    text = _("Kengen sign-in disabled")
    for p in c.sign_ins_to_disable:
        notes[p.person_id].append(text)
    text = _("A5.5 newly eligible for a direct grant (offered, not granted)")
    for p in wc.newly_eligible:
        notes[who(p.person_id, p.hire_staff_number)].append(text)
    for name, items in (
        ("roles_gained", c.roles_gained),
        ("roles_lost", c.roles_lost),
        ("direct_revocations", c.direct_revocations),
        ("form1_flags", c.form1_flags),
        ("appointment_caps", c.appointment_caps),
        ("network_registrations", c.network_registrations),
        ("sign_ins_to_disable", c.sign_ins_to_disable),
        ("newly_eligible", wc.newly_eligible),
    ):
        totals[name] += len(items)  # type: ignore[arg-type]
    for notice in consequence_notices(c, on=on, hired={}):
        if notice.clause in ("A5.5", "A4", "A5.3"):
            officers.update(notice.recipient_ids)
        totals["notifications"] += len(notice.recipient_ids)
    before_units: dict[int, list[tuple[int, int, bool]]] = defaultdict(list)
    ids = [r["person"] for r in todo if r.get("person")]
    for start in range(0, len(ids), CHUNK):
        for pid, org_id, post_id, is_head in Assignment.objects.filter(
            active_on_q(on), person_id__in=ids_in(ids[start : start + CHUNK])
        ).values_list("person_id", "organization_id", "post_id", "post__is_head"):
            before_units[pid].append((org_id, post_id, is_head))
    for r, change in zip(todo, changes, strict=True):
        kind = r["kind"]
        totals[
            {"hire": "joiners", "move": "movers", "end": "leavers", "appointment": "reappointed"}[kind]
        ] += 1
        after = ""
        if change.organization is not None:
            post = change.post or (change.assignment.post if change.assignment else None)
            after = f"{tree.full_name(change.organization.pk)} {post.name if post else ''}".strip()
        key = r["person"] if r.get("person") else r["staff_number"]
        lines.append(
            (
                wave.pk,
                r["row"],
                r["staff_number"],
                (r.get("name") or "")[:101],
                kind,
                on,
                _describe_units(before_units.get(r.get("person") or 0, []), tree, posts),
                after[:300],
                "\n".join(notes.get(key, [])),
                False,
            )
        )
    write_tuples(WaveLine, _LINE_FIELDS, lines)


def _lock_head() -> AuditChainHead:
    """The audit chain head, locked until the transaction ends (every recorded change moves it)."""
    head, _created = AuditChainHead.objects.select_for_update().get_or_create(id=1)
    return head


def _head_seq() -> int:
    head = AuditChainHead.objects.filter(id=1).first()
    return head.last_seq if head else 0


def wave_import(
    *,
    actor: Actor,
    data: bytes,
    file_name: str,
    effective_on: dt.date,
    mapping: ColumnMapping | None = None,
    progress: ProgressHook | None = None,
) -> WaveImport:
    """Read, validate and preview an HR list (nothing in the records changes). A file with errors
    is kept with every error (row, column, reason) and status ``invalid``; it cannot be applied."""
    require_personnel(actor)
    if not (dt.date(1868, 10, 23) <= effective_on <= dt.date(2999, 12, 31)):
        raise RuleViolation(_("The effective date is out of range."), field="effective_on")
    sheet = read_sheet(data)  # refuses oversized and unreadable files before anything is stored
    columns = mapping_columns(mapping)
    with transaction.atomic():
        wave = WaveImport.objects.create(
            file_name=file_name[:255],
            content_sha256=hashlib.sha256(data).hexdigest(),
            encoding=sheet.encoding,
            mapping=mapping,
            effective_on=effective_on,
            status=WaveStatus.VALID,
            created_by=_user(actor),
        )
    report = _hook(f"wave-{wave.pk}", progress)
    with transaction.atomic():
        seen = _head_seq()  # before the records are read: a change from here on moves the head
        batch: list[WaveRow] = []

        def keep(row: dict[str, Any]) -> None:
            # Rows are stored as they are checked, in batches: the list is never one value.
            batch.append(WaveRow(wave=wave, row_no=row["row"], on=dt.date.fromisoformat(row["on"]), data=row))
            if len(batch) >= CHUNK:
                insert_many(batch)
                batch.clear()

        validated = wave_validate(
            sheet, mapping=columns, effective_on=effective_on, progress=report, sink=keep
        )
        if batch and not validated.errors:
            insert_many(batch)
        wave = WaveImport.objects.select_for_update().get(pk=wave.pk)
        wave.row_count = validated.row_count
        errors = [e.as_dict() for e in validated.errors]
        if not errors:
            try:
                _preview(wave, report)
            except (Conflict, RuleViolation) as exc:
                errors = [RowError(0, str(exc.field or ""), str(exc.message)).as_dict()]
                WaveLine.objects.filter(wave=wave).delete()
        wave.errors = errors
        wave.status = WaveStatus.INVALID if errors else WaveStatus.PREVIEWED
        if errors:
            WaveRow.objects.filter(wave=wave).delete()
            WavePlan.objects.filter(wave=wave).delete()
        event = audit_record(
            actor=actor,
            action=AuditAction.HR_WAVE_IMPORTED,
            target=wave,
            new={
                "file": wave.file_name,
                "sha256": wave.content_sha256,
                "encoding": wave.encoding,
                "effective_on": effective_on,
                "rows": wave.row_count,
                "errors": len(errors),
                "totals": wave.totals,
                "fingerprint": wave.fingerprint,
            },
        )
        # The import's own event is the only one since ``seen``: the preview is current at it.
        wave.computed_at_seq = event.seq if event.seq == seen + 1 else seen
        wave.save()
    report("done", wave.row_count, wave.row_count)
    return wave


def wave_preview_is_current(wave: WaveImport) -> bool:
    """True while nothing was recorded since the preview was computed (any change to the records
    writes an audit event). When False, applying recomputes and refuses if the consequences
    differ from the preview's fingerprint."""
    return wave.computed_at_seq is not None and wave.computed_at_seq == _head_seq()


@transaction.atomic
def wave_refresh(*, actor: Actor, wave: WaveImport) -> WaveImport:
    """Recompute the preview against today's records (after the data it was computed from changed)."""
    require_personnel(actor)
    row = WaveImport.objects.select_for_update().get(pk=wave.pk)
    if row.status != WaveStatus.PREVIEWED:
        raise Conflict(_("Only a previewed list can be recomputed."))
    seen = _head_seq()
    _preview(row, _hook(f"wave-{row.pk}", None))
    row.computed_at_seq = seen
    row.save()
    return row


# --- Apply -------------------------------------------------------------------------------------------------


@dataclass
class _Writer:
    """Collects the rows, events and notices of a wave, then writes them set-wise."""

    actor: Actor
    now: dt.datetime
    events: list[EventSpec] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    notification_ids: list[int] = field(default_factory=list)
    written: int = 0  # audit events chained so far
    audit_now: dt.datetime | None = None  # one time for every event of the wave

    def flush(self, head: AuditChainHead, actor_label: str | None) -> None:
        """Chain the events collected so far (in order) and forget them."""
        if self.audit_now is None:
            self.audit_now = timezone.now()
        self.written += audit_record_many(
            actor=self.actor, events=self.events, actor_label=actor_label, head=head, now=self.audit_now
        )
        self.events = []


def _close_assignments(w: _Writer, rows: Sequence[Assignment], on: dt.date, reason: str) -> None:
    """``people.services.assignment_close`` for many assignments: two UPDATEs and their events."""
    user = _user(w.actor)
    rows = [a for a in rows if a.valid_to is None or a.valid_to > on]
    starting_before = [a.pk for a in rows if a.valid_from <= on]
    for start in range(0, len(starting_before), CHUNK):
        Assignment.objects.filter(pk__in=ids_in(starting_before[start : start + CHUNK])).update(
            valid_to=on, end_reason=reason, ended_by=user
        )
    for a in rows:
        old = {"valid_to": a.valid_to}
        a.valid_to = max(on, a.valid_from)
        if a.valid_from > on:
            Assignment.objects.filter(pk=a.pk).update(valid_to=a.valid_to, end_reason=reason, ended_by=user)
        w.events.append(
            EventSpec.about(
                AuditAction.ASSIGNMENT_ENDED, a, old=old, new={"valid_to": a.valid_to, "end_reason": reason}
            )
        )
    w.counts["assignments_ended"] += len(rows)


def _open_assignments(w: _Writer, rows: list[Assignment]) -> None:
    insert_many(rows)
    for a in rows:
        w.events.append(
            EventSpec.about(
                AuditAction.ASSIGNMENT_STARTED,
                a,
                new={
                    "person": a.person_id,
                    "organization": a.organization_id,
                    "post": a.post_id,
                    "valid_from": a.valid_from,
                    "valid_to": a.valid_to,
                    "is_primary": a.is_primary,
                },
            )
        )
    w.counts["assignments_started"] += len(rows)


def _grant_snapshot(g: Grant | GrantRow) -> dict[str, Any]:
    """``grants.services._grant_snapshot``: the same audit content as ``grant_end``."""
    return {
        "account": g.account_id,
        "user_id": g.account.user_id,
        "system": g.account.system.code,
        "permission": g.permission.code,
        "permission_system": g.permission.system.code,
        "person": g.account.person_id,
        "valid_from": g.valid_from,
        "valid_to": g.valid_to,
        "purpose": g.purpose,
        "purpose_approved_by": g.purpose_approved_by_id,
        "basis": g.basis,
        "basis_reference": g.basis_reference,
        "end_reason": g.end_reason,
    }


_GRANT_TYPE = Grant._meta.label_lower


def _end_grants(w: _Writer, grants: Sequence[Grant | GrantRow], on: dt.date, reason: str, note: str) -> None:
    """``grants.services.grant_end(actor=None, …)`` for many grants (Kengen ends them, A5.5/A7)."""
    seen: set[int] = set()
    todo = [g for g in grants if not (g.pk in seen or seen.add(g.pk))]  # type: ignore[func-returns-value]
    plain = [g.pk for g in todo if g.valid_from <= on]
    for start in range(0, len(plain), CHUNK):
        Grant.objects.filter(pk__in=ids_in(plain[start : start + CHUNK]), ended_at__isnull=True).update(
            valid_to=on, end_reason=reason, end_note=note, ended_at=w.now, ended_by=None
        )
    for g in todo:
        old = _grant_snapshot(g)
        g.valid_to = max(on, g.valid_from)
        if g.valid_from > on:
            Grant.objects.filter(pk=g.pk).update(
                valid_to=g.valid_to, end_reason=reason, end_note=note, ended_at=w.now, ended_by=None
            )
        g.end_reason, g.end_note, g.ended_at = reason, note, w.now
        new = dict(old, valid_to=g.valid_to, end_reason=reason)
        w.events.append(
            EventSpec(
                AuditAction.GRANT_ENDED,
                target_type=_GRANT_TYPE,
                target_id=str(g.pk),
                target_label=str(g)[:300],
                old=old,
                new=new,
                application_ref=g.basis_reference,
                as_system=True,
            )
        )
    w.counts["grants_ended"] += len(todo)


_PERSON_TYPE = Person._meta.label_lower
_NOTIFICATION_COLUMNS = (
    "recipient_id",
    "clause",
    "subject",
    "body",
    "target_type",
    "target_id",
    "link",
    "created_at",
    "email_address",
    "email_status",
)


def _write_group(w: _Writer, on: dt.date, rows: Sequence[dict[str, Any]], wc: WaveConsequences) -> None:
    changes = wc.consequences.changes
    user = _user(w.actor)
    todo = [r for r in rows if not r.get("done")]
    # Joiners: people, then appointments and assignments (insert_many sets the new ids).
    hires = [(r, c) for r, c in zip(todo, changes, strict=True) if c.kind == ChangeKind.HIRE]
    new_people = [
        Person(
            kind=PersonKind.STAFF,
            staff_number=c.new_person.staff_number,
            family_name=c.new_person.family_name,
            given_name=c.new_person.given_name,
            family_name_kana=c.new_person.family_name_kana,
            given_name_kana=c.new_person.given_name_kana,
            email=c.new_person.email,
        )
        for _r, c in hires
        if c.new_person is not None
    ]
    insert_many(new_people)
    for p in new_people:
        w.events.append(
            EventSpec.about(
                AuditAction.PERSON_CREATED,
                p,
                new={"kind": PersonKind.STAFF, "staff_number": p.staff_number, "name": p.full_name},
            )
        )
    w.counts["people_created"] += len(new_people)
    person_of: dict[int, Person] = {}
    hired_ids: dict[str, int] = {}
    for (r, _c), p in zip(hires, new_people, strict=True):
        person_of[r["row"]] = p
        assert p.staff_number is not None
        hired_ids[p.staff_number] = p.pk
    appointing = [
        (r, c, person_of.get(r["row"]) or c.person)
        for r, c in zip(todo, changes, strict=True)
        if c.kind in (ChangeKind.HIRE, ChangeKind.APPOINTMENT)
    ]
    appointments = [
        Appointment(
            person=p,
            employment_type=c.employment_type,
            valid_from=on,
            valid_to=c.appointment_to,
            recorded_at=w.now,
            recorded_by=user,
        )
        for _r, c, p in appointing
    ]
    insert_many(appointments)
    for a in appointments:
        w.events.append(
            EventSpec.about(
                AuditAction.APPOINTMENT_STARTED,
                a,
                new={
                    "person": a.person_id,
                    "employment_type": a.employment_type,
                    "valid_from": on,
                    "valid_to": a.valid_to,
                },
            )
        )
    w.counts["appointments_started"] += len(appointments)
    opening = [
        Assignment(
            person=p,
            organization=c.organization,
            post=c.post,
            valid_from=on,
            valid_to=None,
            is_primary=True,
            recorded_at=w.now,
            recorded_by=user,
        )
        for _r, c, p in appointing
        if c.organization is not None and c.post is not None and p is not None
    ]
    # Movers: the moving assignment ends, the same person starts in the new unit (assignment_move).
    moves = [c for c in changes if c.kind == ChangeKind.MOVE]
    moving = [c.assignment for c in moves if c.assignment is not None]
    # The moving assignments as they are now (an earlier date of the list may have changed them):
    # their fields re-read as values onto the change's own instances, with shared units and posts.
    fresh: dict[int, Assignment] = {m.pk: m for m in moving}
    current: list[tuple] = []
    for start in range(0, len(moving), CHUNK):
        current.extend(
            Assignment.objects.filter(
                pk__in=ids_in([m.pk for m in moving[start : start + CHUNK]])
            ).values_list(
                "id", "valid_from", "valid_to", "is_primary", "person_id", "organization_id", "post_id"
            )
        )
    units = Organization.objects.in_bulk(sorted({row[5] for row in current}))
    posts = Post.objects.in_bulk(sorted({row[6] for row in current}))
    movers = {c.person.pk: c.person for c in moves if c.person is not None}
    missing = sorted({row[4] for row in current} - set(movers))
    movers.update({p.pk: p for p in _people(missing)})
    for pk, valid_from, valid_to, is_primary, person_id, org_id, post_id in current:
        m = fresh[pk]
        m.valid_from, m.valid_to, m.is_primary = valid_from, valid_to, is_primary
        m.person, m.organization, m.post = movers[person_id], units[org_id], posts[post_id]
    ended = [fresh[m.pk] for m in moving]
    keeps = {a.pk: (a.valid_from, a.valid_to) for a in ended}
    _close_assignments(w, ended, on, AssignmentEndReason.TRANSFER)
    for c in moves:
        assert c.assignment is not None and c.organization is not None
        old = fresh[c.assignment.pk]
        start_on, until = keeps[old.pk]
        opening.append(
            Assignment(
                person=old.person,
                organization=c.organization,
                post=c.post or old.post,
                valid_from=max(on, start_on),
                valid_to=until,
                is_primary=old.is_primary,
                recorded_at=w.now,
                recorded_by=user,
            )
        )
    _open_assignments(w, opening)
    # Leavers: the appointment in force the day before ends on ``on``, with its assignments.
    ends = [c for c in changes if c.kind == ChangeKind.END and c.person is not None]
    if ends:
        ids = [c.person.pk for c in ends if c.person is not None]
        reason_of = {c.person.pk: c.reason for c in ends if c.person is not None}
        day_before = on - dt.timedelta(days=1)
        chosen: dict[int, Appointment] = {}
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            cands = (
                Appointment.objects.select_related("person")
                .filter(person_id__in=ids_in(chunk))
                .filter(active_on_q(day_before) | active_on_q(on))
            )
            for a in cands.order_by("valid_from"):
                prev = chosen.get(a.person_id)
                # appointment_on(on - 1) first, else appointment_on(on); the latest start wins.
                if prev is None or (a.is_active_on(day_before) or not prev.is_active_on(day_before)):
                    chosen[a.person_id] = a
        by_reason: dict[str, list[int]] = defaultdict(list)
        for pid, a in chosen.items():
            by_reason[reason_of[pid]].append(a.pk)
            w.events.append(
                EventSpec.about(
                    AuditAction.APPOINTMENT_ENDED,
                    a,
                    old={"valid_to": a.valid_to, "end_reason": a.end_reason},
                    new={"valid_to": on, "end_reason": reason_of[pid]},
                )
            )
        for reason, pks in by_reason.items():
            for start in range(0, len(pks), CHUNK):
                Appointment.objects.filter(pk__in=ids_in(pks[start : start + CHUNK])).update(
                    valid_to=on, end_reason=reason, ended_by=user
                )
        w.counts["appointments_ended"] += len(chosen)
        closing: list[Assignment] = []
        for start in range(0, len(ids), CHUNK):
            closing.extend(
                Assignment.objects.select_related("person", "organization", "post")
                .filter(person_id__in=ids_in(ids[start : start + CHUNK]))
                .filter(overlapping_q(on, None))
                .order_by("id")
            )
        _close_assignments(w, closing, on, AssignmentEndReason.APPOINTMENT_ENDED)
    consequences = wc.consequences
    _end_grants(w, [i.grant for i in consequences.direct_revocations], on, EndReason.TRANSFER, "A5.5")
    _end_grants(w, [i.grant for i in consequences.appointment_caps], on, EndReason.APPOINTMENT_ENDED, "A7")
    # Notices (A5.5, A4, A5.3, A3): the personnel app's texts, stored in bulk, emailed on commit.
    notices = consequence_notices(consequences, on=on, hired=hired_ids)
    recipients = {p.pk: p for p in _people(sorted({i for n in notices for i in n.recipient_ids}))}
    hired_people = {p.staff_number: p for p in new_people}
    created_at = Notification._meta.get_field("created_at").get_db_prep_save(w.now, connection)
    rows_out: list[tuple] = []
    for n in notices:
        target = hired_people.get(n.target_hire) if n.target_hire else None
        target_type, target_id = (_PERSON_TYPE, str(target.pk)) if target is not None else ("", "")
        subject = n.subject[:200]
        for pid in dict.fromkeys(n.recipient_ids):
            person = recipients.get(pid)
            if person is None:
                continue
            status = EmailStatus.PENDING if person.email else EmailStatus.NO_ADDRESS
            rows_out.append(
                (pid, n.clause, subject, n.body, target_type, target_id, "", created_at, person.email, status)
            )
    ids = insert_rows(Notification, _NOTIFICATION_COLUMNS, rows_out)
    w.notification_ids.extend(
        i for i, row in zip(ids, rows_out, strict=True) if row[-1] == EmailStatus.PENDING
    )
    w.counts["notifications"] += len(rows_out)
    # Sign-ins of people no longer employed (only once the date has come, as personnel does).
    if on <= timezone.localdate(w.now):
        user_ids = [p.user_id for p in consequences.sign_ins_to_disable if p.user_id]
        users = list(
            User.objects.select_related("person").filter(pk__in=user_ids, is_active=True).order_by("pk")
        )
        User.objects.filter(pk__in=[u.pk for u in users]).update(is_active=False)
        for u in users:
            w.events.append(
                EventSpec.about(
                    AuditAction.USER_UPDATED, u, old={"is_active": True}, new={"is_active": False}
                )
            )
        w.counts["sign_ins_disabled"] += len(users)
        back_ids = [p.user_id for p in consequences.sign_ins_to_enable if p.user_id]
        back = list(
            User.objects.select_related("person").filter(pk__in=back_ids, is_active=False).order_by("pk")
        )
        User.objects.filter(pk__in=[u.pk for u in back]).update(is_active=True)
        for u in back:
            w.events.append(
                EventSpec.about(
                    AuditAction.USER_UPDATED, u, old={"is_active": False}, new={"is_active": True}
                )
            )
        w.counts["sign_ins_enabled"] += len(back)
    # A2.4: new hires get a sign-in named by the staff number, with no usable password until the
    # configuration administrator issues one (as personnel_changes_apply does for one hire).
    numbers = [p.staff_number for p in new_people if p.staff_number]
    taken: set[str] = set()
    for start in range(0, len(numbers), CHUNK):
        taken.update(
            User.objects.filter(username__in=numbers[start : start + CHUNK]).values_list(
                "username", flat=True
            )
        )
    sign_ins = []
    for p in new_people:
        if p.staff_number and p.staff_number not in taken:
            u = User(username=p.staff_number, person=p)
            u.set_unusable_password()
            sign_ins.append(u)
    insert_many(sign_ins)
    for u in sign_ins:
        w.events.append(
            EventSpec.about(
                AuditAction.USER_CREATED,
                u,
                new={"username": u.username, "person": u.person_id, "is_superuser": False},
            )
        )
    w.counts["sign_ins_created"] += len(sign_ins)
    # One event per change: the row, what it was, and the wave it came from.
    for r, change in zip(todo, changes, strict=True):
        person = person_of.get(r["row"]) or change.person
        assert person is not None
        w.events.append(
            EventSpec.about(
                AuditAction.PERSONNEL_CHANGE_APPLIED,
                person,
                new={"on": on, "row": r["row"], "change": change.to_payload() | {"person": person.pk}},
            )
        )


def _people(ids: Sequence[int]) -> list[Person]:
    out: list[Person] = []
    for start in range(0, len(ids), CHUNK):
        out.extend(Person.objects.filter(pk__in=ids_in(ids[start : start + CHUNK])))
    return out


def _lock_people(ids: Sequence[int]) -> None:
    for start in range(0, len(ids), CHUNK):
        list(
            Person.objects.select_for_update()
            .filter(pk__in=ids_in(ids[start : start + CHUNK]))
            .values_list("pk", flat=True)
        )


class _StalePlan(Exception):
    """The kept plan does not match the rows' chunks (kept by an older version, or with another
    chunk size): applying computes it again."""


def _replan(wave: WaveImport, report: Progress) -> str:
    """The engine over every chunk against the records as they are now, before anything is
    written; the plan is kept again, chunk by chunk. Returns the fingerprint."""
    WavePlan.objects.filter(wave=wave).delete()
    parts: list[str] = []
    dates = wave_dates(wave)
    for i, on in enumerate(dates, start=1):
        context: DateContext | None = None
        digest = DateDigest(on)
        for n, rows in enumerate(wave_chunks(wave, on)):
            changes = changes_from_rows(rows)
            if not changes:
                continue
            if context is None:
                context = DateContext(on)
            wc = wave_consequences(changes, on=on, context=context, rows_only=True)
            WavePlan.objects.create(wave=wave, on=on, part=n, items=plan_chunk(wc, rows))
            digest.add(wc.consequences)
        if context is not None:
            context.finish()
        if digest.any:
            parts.append(digest.part())
        report("recheck", i, len(dates))
    return fingerprint(parts)


def _write_planned(w: _Writer, wave: WaveImport, head: AuditChainHead, report: Progress) -> None:
    """Every chunk of every date written from the kept plan, its audit events chained as it goes
    (the chain head stays locked): only one chunk's rows, plan and events are held at a time."""
    actor_label = None if w.actor is not None else "kengen"
    done = 0
    for on in wave_dates(wave):
        for n, rows in enumerate(wave_chunks(wave, on)):
            done += len(rows)
            changes = changes_from_rows(rows)
            if not changes:
                continue
            part = next(
                iter(
                    WavePlan.objects.filter(wave=wave, on=on, part=n)
                    .order_by()
                    .values_list("items", flat=True)
                ),
                None,
            )
            if not plan_matches(part, rows):
                raise _StalePlan
            assert part is not None
            wc = plan_load([part], changes, on=on)
            _write_group(w, on, rows, wc)
            w.flush(head, actor_label)
            report("write", done, wave.row_count)


def _apply_locked(
    actor: Actor, wave: WaveImport, expected: str | None, report: Progress, *, scheduled: bool = False
) -> dict[str, int]:
    if wave.status == WaveStatus.APPLIED:
        return dict(wave.result)  # applying twice changes nothing
    if wave.status not in (WaveStatus.PREVIEWED, WaveStatus.SCHEDULED):
        raise Conflict(_("This list cannot be applied (%(status)s).") % {"status": wave.get_status_display()})
    if wave.status == WaveStatus.SCHEDULED and not scheduled:
        raise Conflict(_("This list is scheduled; cancel the schedule to apply it now."))
    _lock_people(wave_person_ids(wave))
    # Nothing recorded since the preview (the chain head, locked now, has not moved): apply the
    # preview's plan as it is. Otherwise run the engine again over every chunk — before anything
    # is written — and refuse if anything differs; then apply the plan just computed.
    head = _lock_head()
    current = (
        wave.computed_at_seq is not None
        and wave.computed_at_seq == head.last_seq
        and (expected is None or expected == wave.fingerprint)
    )

    def recheck() -> None:
        if _replan(wave, report) != (expected or wave.fingerprint):
            raise Conflict(
                _("The consequences changed since the preview. Review them again before confirming.")
            )

    if not current:
        recheck()
    w = _Writer(actor=actor, now=timezone.now())
    try:
        with transaction.atomic():  # a savepoint: a stale plan is computed again, then written
            _write_planned(w, wave, head, report)
    except _StalePlan:
        head.refresh_from_db()
        recheck()
        w = _Writer(actor=actor, now=w.now)
        _write_planned(w, wave, head, report)
    w.events.append(
        EventSpec.about(
            AuditAction.HR_WAVE_APPLIED,
            wave,
            new={
                "fingerprint": wave.fingerprint,
                "effective_on": wave.effective_on,
                "counts": dict(w.counts),
            },
        )
    )
    w.flush(head, None if actor is not None else "kengen")
    report("audit", w.written, w.written)
    ids = list(w.notification_ids)
    if ids:
        transaction.on_commit(lambda: notification_deliver(ids=ids))
    wave.status = WaveStatus.APPLIED
    wave.applied_at = w.now
    wave.result = dict(w.counts) | {"events": w.written}
    wave.save(update_fields=["status", "applied_at", "result"])
    return dict(wave.result)


def wave_apply(
    *, actor: Actor, wave: WaveImport, expected: str | None = None, progress: ProgressHook | None = None
) -> dict[str, int]:
    """Apply a previewed list now (also when its date is past: late-entered transfers), in one
    transaction: every row, revocation, cap, notice, disabled sign-in and audit event, or none.
    ``expected`` is the preview's fingerprint (default: the stored one); if the consequences
    differ now, nothing is applied and ``Conflict`` asks to look again."""
    require_personnel(actor)
    report = _hook(f"wave-{wave.pk}", progress)
    with transaction.atomic():
        row = WaveImport.objects.select_for_update().get(pk=wave.pk)
        if row.status == WaveStatus.PREVIEWED and row.effective_on > timezone.localdate():
            raise RuleViolation(
                _("The list takes effect on a future date: schedule it."), field="effective_on"
            )
        result = _apply_locked(actor, row, expected, report)
    report("done", 1, 1)
    return result


@transaction.atomic
def wave_schedule(*, actor: Actor, wave: WaveImport, expected: str | None = None) -> WaveImport:
    """Leave a previewed list to ``kengen run-due`` on its effective date."""
    require_personnel(actor)
    row = WaveImport.objects.select_for_update().get(pk=wave.pk)
    if row.status != WaveStatus.PREVIEWED:
        raise Conflict(_("Only a previewed list can be scheduled."))
    if row.effective_on <= timezone.localdate():
        raise RuleViolation(
            _("Only a future date can be scheduled; apply the list now."), field="effective_on"
        )
    if expected is not None and expected != row.fingerprint:
        raise Conflict(_("The consequences changed since the preview. Review them again before confirming."))
    head = _lock_head()
    current = row.computed_at_seq == head.last_seq
    row.status = WaveStatus.SCHEDULED
    event = audit_record(
        actor=actor, action=AuditAction.HR_WAVE_SCHEDULED, target=row, new={"effective_on": row.effective_on}
    )
    if current:  # scheduling is the only event since the preview: it stays current
        row.computed_at_seq = event.seq
    row.save(update_fields=["status", "computed_at_seq"])
    return row


@transaction.atomic
def wave_cancel(*, actor: Actor, wave: WaveImport) -> WaveImport:
    require_personnel(actor)
    row = WaveImport.objects.select_for_update().get(pk=wave.pk)
    if row.status not in (WaveStatus.PREVIEWED, WaveStatus.SCHEDULED, WaveStatus.INVALID):
        raise Conflict(_("This list can no longer be cancelled."))
    old = row.status
    row.status = WaveStatus.CANCELLED
    row.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action=AuditAction.HR_WAVE_CANCELLED,
        target=row,
        old={"status": old},
        new={"status": row.status},
    )
    return row


def waves_apply_due(*, today: dt.date | None = None) -> tuple[int, int]:
    """``kengen run-due``: apply every scheduled list whose date has come, each in its own
    transaction. One refused now (the records changed) is marked failed with the reason."""
    today = today or timezone.localdate()
    applied = failed = 0
    due = list(
        WaveImport.objects.filter(status=WaveStatus.SCHEDULED, effective_on__lte=today)
        .order_by("effective_on", "id")
        .values_list("pk", flat=True)
    )
    for pk in due:
        try:
            with transaction.atomic():
                row = WaveImport.objects.select_for_update().get(pk=pk)
                if row.status != WaveStatus.SCHEDULED:
                    continue
                _apply_locked(None, row, None, _hook(f"wave-{pk}", None), scheduled=True)
            applied += 1
        except DomainError as exc:
            with transaction.atomic():
                row = WaveImport.objects.select_for_update().get(pk=pk)
                row.status = WaveStatus.FAILED
                row.error = str(exc.message)
                row.save(update_fields=["status", "error"])
                audit_record(
                    actor=None,
                    actor_label="kengen run-due",
                    action=AuditAction.HR_WAVE_FAILED,
                    target=row,
                    new={"error": row.error, "clause": exc.clause},
                )
            failed += 1
    return applied, failed
