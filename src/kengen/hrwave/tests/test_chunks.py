"""The wave streamed in chunks: any chunk size previews and applies exactly what one chunk does
(lines, totals, fingerprint, rows, notices and audit events), the checks that span a date still
span it, and a failure in a later chunk leaves everything as before (A3, A4, A5.3, A5.5, A7)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
import time_machine
from django.db import transaction

from kengen.audit.models import AuditChainHead, AuditEvent
from kengen.audit.services import audit_verify
from kengen.grants.models import Grant
from kengen.hrwave import services
from kengen.hrwave.choices import WaveStatus
from kengen.hrwave.models import WaveImport, WavePlan
from kengen.hrwave.services import wave_apply, wave_import
from kengen.hrwave.tests.conftest import D, hire, hr_csv, leave, move
from kengen.notifications.models import Notification
from kengen.people.models import Appointment, Assignment, Person
from kengen.users.models import User

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2024, 10, 15, 1, 0, tzinfo=dt.UTC)
EARLIER = dt.date(2024, 7, 1)


def _chunk(monkeypatch, size: int) -> None:
    monkeypatch.setattr("kengen.hrwave.selectors.CHUNK", size)
    monkeypatch.setattr("kengen.hrwave.services.CHUNK", size)


def _rows(world) -> list[list[str]]:
    p = world.people
    return [
        move(p["jinji_clerk"].staff_number, "KAZEI"),  # leaves 別表第2 and the applying section
        move(p["kazei_clerk"].staff_number, "JINJI"),  # newly eligible (A5.5)
        hire("N0001", "新田", "一郎", "SHIMINZEI", "kacho"),  # heads 市民税課 once its head leaves …
        leave(p["shiminzei_head"].staff_number),  # … in a later chunk (one head per unit, per date)
        hire("N0002", "新井", "春子", "KAZEI", "shuji", "会計年度(パートタイム)", "2025-03-31"),  # A5.3
        [p["joho_head"].staff_number, *[""] * 8, EARLIER.isoformat(), "退職"],  # back-dated
    ]


def _outcome(wave: WaveImport, since: int) -> dict[str, Any]:
    """Everything the import and apply produced, with the ids a database sequence hands out
    (new people, assignments, appointments, sign-ins, the list itself) replaced by what they are."""
    staff = dict(Person.objects.values_list("pk", "staff_number"))
    assignments = {
        a.pk: (
            "assignment",
            staff[a.person_id],
            a.organization_id,
            a.post_id,
            str(a.valid_from),
            str(a.valid_to),
        )
        for a in Assignment.objects.all()
    }
    appointments = {
        a.pk: ("appointment", staff[a.person_id], str(a.valid_from), str(a.valid_to))
        for a in Appointment.objects.all()
    }
    users = dict(User.objects.values_list("pk", "username"))

    def norm(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: norm(v, k) for k, v in sorted(value.items())}
        if isinstance(value, list):
            return [norm(v) for v in value]
        if key == "person" and isinstance(value, int):
            return staff.get(value, value)
        return value

    def target(kind: str, pk: str) -> Any:
        if kind == "people.person":
            return staff[int(pk)]
        if kind == "people.assignment":
            return assignments[int(pk)]
        if kind == "people.appointment":
            return appointments[int(pk)]
        if kind == "users.user":
            return users[int(pk)]
        if kind == "hrwave.waveimport":
            return "the list"
        return pk

    events = Counter(
        repr(
            (
                e.action,
                e.target_type,
                target(e.target_type, e.target_id),
                e.target_label if e.target_type != "hrwave.waveimport" else "",
                norm(e.old),
                norm(e.new),
                e.application_ref,
                e.actor_label,
            )
        )
        for e in AuditEvent.objects.filter(seq__gt=since)
    )
    notices = Counter(
        repr((staff[n.recipient_id], n.clause, n.subject, n.body, n.target_type, n.email_status))
        for n in Notification.objects.all()
    )
    lines = list(
        wave.lines.order_by("row_no").values_list(
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
    )
    return {
        "status": wave.status,
        "errors": wave.errors,
        "totals": wave.totals,
        "fingerprint": wave.fingerprint,
        "result": wave.result,
        "lines": lines,
        "events": events,
        "notices": notices,
        "assignments": sorted(map(repr, assignments.values())),
        "appointments": sorted(map(repr, appointments.values())),
        "grants": sorted(Grant.objects.values_list("pk", "valid_to", "end_reason", "end_note")),
        "sign_ins": sorted(User.objects.values_list("username", "is_active")),
    }


def _run(world, hr, monkeypatch, size: int) -> tuple[dict[str, Any], int]:
    _chunk(monkeypatch, size)
    since = AuditChainHead.objects.get().last_seq
    wave = wave_import(actor=hr, data=hr_csv(_rows(world)), file_name="hr.csv", effective_on=D)
    assert wave.status == WaveStatus.PREVIEWED, wave.errors
    parts = WavePlan.objects.filter(wave=wave).count()
    wave_apply(actor=hr, wave=wave)
    wave.refresh_from_db()
    assert audit_verify().ok
    return _outcome(wave, since), parts


@pytest.mark.clause("A3")
@pytest.mark.clause("A4")
@pytest.mark.clause("A5.3")
@pytest.mark.clause("A5.5")
@pytest.mark.clause("A7")
@pytest.mark.parametrize("size", [1, 2, 4])
@time_machine.travel(NOW, tick=False)
def test_any_chunk_size_previews_and_applies_exactly_what_one_chunk_does(
    world, grants, hr, monkeypatch, size
):
    sid = transaction.savepoint()
    whole, whole_parts = _run(world, hr, monkeypatch, 10_000)
    transaction.savepoint_rollback(sid)
    chunked, chunked_parts = _run(world, hr, monkeypatch, size)
    assert (whole_parts, chunked_parts) == (2, 1 + -(-5 // size))  # one date of 5 rows, one of 1
    assert whole["events"] and whole["notices"] and whole["totals"]["direct_revocations"] == 1
    for key in whole:
        assert chunked[key] == whole[key], key


@pytest.mark.clause("A5.5")
@time_machine.travel(NOW, tick=False)
def test_a_failure_in_a_later_chunk_leaves_everything_as_before(world, grants, hr, monkeypatch):
    _chunk(monkeypatch, 1)
    wave = wave_import(actor=hr, data=hr_csv(_rows(world)), file_name="hr.csv", effective_on=D)
    assert wave.status == WaveStatus.PREVIEWED, wave.errors
    state = (
        Person.objects.count(),
        Assignment.objects.count(),
        Appointment.objects.count(),
        Notification.objects.count(),
        User.objects.filter(is_active=True).count(),
        AuditEvent.objects.count(),
    )
    head = AuditChainHead.objects.get()
    real = services._write_group
    calls: list[int] = []

    def write_group(*args, **kwargs):
        calls.append(1)
        if len(calls) == 4:  # three chunks written and chained already
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr("kengen.hrwave.services._write_group", write_group)
    with pytest.raises(RuntimeError):
        wave_apply(actor=hr, wave=wave)
    assert len(calls) == 4
    assert (
        Person.objects.count(),
        Assignment.objects.count(),
        Appointment.objects.count(),
        Notification.objects.count(),
        User.objects.filter(is_active=True).count(),
        AuditEvent.objects.count(),
    ) == state
    assert (AuditChainHead.objects.get().last_seq, AuditChainHead.objects.get().last_hash) == (
        head.last_seq,
        head.last_hash,
    )
    assert Grant.objects.get(pk=grants["direct"].pk).valid_to is None
    wave.refresh_from_db()
    assert wave.status == WaveStatus.PREVIEWED
    monkeypatch.setattr("kengen.hrwave.services._write_group", real)
    wave_apply(actor=hr, wave=wave)  # and the same list applies cleanly afterwards
    assert Grant.objects.get(pk=grants["direct"].pk).valid_to == D
    assert audit_verify().ok


@time_machine.travel(NOW, tick=False)
def test_two_new_heads_of_one_unit_in_different_chunks_are_refused(world, hr, monkeypatch):
    _chunk(monkeypatch, 1)
    wave = wave_import(
        actor=hr,
        data=hr_csv(
            [
                leave(world.people["shiminzei_head"].staff_number),
                hire("N0001", "新田", "一郎", "SHIMINZEI", "kacho"),
                hire("N0002", "新井", "春子", "SHIMINZEI", "kacho"),
            ]
        ),
        file_name="hr.csv",
        effective_on=D,
    )
    assert wave.status == WaveStatus.INVALID
    assert [e["column"] for e in wave.errors] == ["post"]
    assert "新田 一郎" in wave.errors[0]["message"] and "新井 春子" in wave.errors[0]["message"]


@time_machine.travel(NOW, tick=False)
def test_a_head_who_stays_is_seen_by_the_check_of_every_chunk(world, hr, monkeypatch):
    _chunk(monkeypatch, 1)
    wave = wave_import(
        actor=hr,
        data=hr_csv(
            [
                move(world.people["kazei_clerk"].staff_number, "JINJI"),
                hire("N0001", "新田", "一郎", "SHIMINZEI", "kacho"),  # 市民税課's head stays
            ]
        ),
        file_name="hr.csv",
        effective_on=D,
    )
    assert wave.status == WaveStatus.INVALID
    assert [e["column"] for e in wave.errors] == ["post"]
    assert world.people["shiminzei_head"].full_name in wave.errors[0]["message"]


@pytest.mark.clause("A5.5")
@time_machine.travel(NOW, tick=False)
def test_a_plan_kept_in_other_chunks_is_computed_again_and_applied_the_same(world, grants, hr, monkeypatch):
    _chunk(monkeypatch, 2)
    wave = wave_import(actor=hr, data=hr_csv(_rows(world)), file_name="hr.csv", effective_on=D)
    assert wave.status == WaveStatus.PREVIEWED, wave.errors
    _chunk(monkeypatch, 3)
    runs: list[int] = []
    real = services.wave_consequences

    def engine(*args, **kwargs):
        runs.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr("kengen.hrwave.services.wave_consequences", engine)
    result = wave_apply(actor=hr, wave=wave)
    assert runs == [1, 1, 1]  # the 5 rows of the wave's date in 2 chunks of 3, the back-dated one
    assert result["grants_ended"] >= 1 and Grant.objects.get(pk=grants["direct"].pk).valid_to == D
    assert audit_verify().ok
