"""The wave on a small hand-built world: the engine gives what the personnel engine gives, each
category exactly, and applying writes exactly that, atomically and once (A3, A4, A5.3, A5.5, A7)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from kengen.audit.choices import AuditAction
from kengen.audit.models import AuditChainHead, AuditEvent
from kengen.audit.services import audit_verify
from kengen.core.exceptions import Conflict, RuleViolation
from kengen.grants.choices import EndReason
from kengen.grants.models import Grant
from kengen.hrwave.choices import WaveStatus
from kengen.hrwave.selectors import changes_from_rows, wave_consequences
from kengen.hrwave.services import wave_apply, wave_import, wave_schedule, waves_apply_due
from kengen.hrwave.tests.conftest import D, hire, hr_csv, leave, move
from kengen.jobs.services import run_due
from kengen.notifications.models import Notification
from kengen.people.models import Assignment, Person
from kengen.personnel.selectors import consequences_of
from kengen.roles.choices import Role
from kengen.users.models import User

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2024, 10, 15, 1, 0, tzinfo=dt.UTC)


def _wave(hr, rows, on=D):
    return wave_import(actor=hr, data=hr_csv(rows), file_name="hr.csv", effective_on=on)


def _the_wave(world):
    clerk, kazei = world.people["jinji_clerk"], world.people["kazei_clerk"]
    return [
        move(clerk.staff_number, "KAZEI"),  # leaves 別表第2 (A5.5) and the applying section (A4)
        move(kazei.staff_number, "JINJI"),  # becomes eligible for direct grants (A5.5, offered)
        leave(world.people["shiminzei_head"].staff_number),  # loses the officer role, sign-in off
        hire("N0001", "新田", "一郎", "SHIMINZEI", "kacho"),  # gains the officer role (A4)
        hire("N0002", "新井", "春子", "KAZEI", "shuji", "会計年度(パートタイム)", "2025-03-31"),  # A5.3
    ]


@pytest.mark.clause("A5.5")
@pytest.mark.clause("A4")
@pytest.mark.clause("A3")
@pytest.mark.clause("A5.3")
@time_machine.travel(NOW, tick=False)
def test_the_set_based_engine_gives_exactly_what_the_personnel_engine_gives(world, grants, hr):
    wave = _wave(hr, _the_wave(world))
    assert wave.status == WaveStatus.PREVIEWED, wave.errors
    changes = changes_from_rows(wave.rows)
    ours = wave_consequences(changes, on=D).consequences
    theirs = consequences_of(changes, on=D)
    assert ours.as_dict() == theirs.as_dict()
    assert ours.fingerprint == theirs.fingerprint


@pytest.mark.clause("A5.5")
@pytest.mark.clause("A4")
@pytest.mark.clause("A3")
@pytest.mark.clause("A5.3")
@time_machine.travel(NOW, tick=False)
def test_each_consequence_category_is_listed_exactly(world, grants, hr):
    clerk, kazei, leaving = (
        world.people["jinji_clerk"],
        world.people["kazei_clerk"],
        world.people["shiminzei_head"],
    )
    wave = _wave(hr, _the_wave(world))
    wc = wave_consequences(changes_from_rows(wave.rows), on=D)
    c = wc.consequences
    assert [g.grant.pk for g in c.direct_revocations] == [grants["direct"].pk]
    assert [g.grant.pk for g in c.form1_flags] == [grants["form1"].pk]
    # Officers as the records stand when previewed: the leaving head is still 市民税課's head.
    officers = {world.people["shokuin_head"].pk, leaving.pk}
    assert set(c.form1_flags[0].officer_ids) == officers
    assert set(c.direct_revocations[0].officer_ids) == officers
    assert [(p.person_id, p.clause) for p in wc.newly_eligible] == [(kazei.pk, "A5.5")]
    assert [(r.person_id, r.role, r.organization_id) for r in c.roles_lost] == [
        (leaving.pk, Role.SECURITY_OFFICER, world.shiminzei.pk)
    ]
    assert [(r.person_name, r.role, r.organization_id) for r in c.roles_gained] == [
        ("新田 一郎", Role.SECURITY_OFFICER, world.shiminzei.pk)
    ]
    assert [(p.person_name, p.clause) for p in c.network_registrations] == [("新井 春子", "A5.3")]
    assert [p.user_id for p in c.sign_ins_to_disable] == [world.users["shiminzei_head"].pk]
    assert c.appointment_caps == []
    assert wave.totals == {
        "joiners": 2,
        "movers": 2,
        "leavers": 1,
        "roles_gained": 1,
        "roles_lost": 1,
        "direct_revocations": 1,
        "form1_flags": 1,
        "appointment_caps": 0,
        "network_registrations": 1,
        "sign_ins_to_disable": 1,
        "newly_eligible": 1,
        "notifications": wave.totals["notifications"],
        "officers_to_notify": 2,
    }
    lines = {line.staff_number: line for line in wave.lines.all()}
    assert "A5.5" in lines[clerk.staff_number].consequences and "A4" in lines[clerk.staff_number].consequences
    assert (lines[clerk.staff_number].before, lines[clerk.staff_number].after) == (
        "総務部職員課人事係 主事",
        "総務部市民税課課税係 主事",
    )


@pytest.mark.clause("A7")
@time_machine.travel(NOW, tick=False)
def test_a_retirement_caps_every_grant_and_applying_ends_them(world, grants, hr):
    clerk = world.people["jinji_clerk"]
    wave = _wave(hr, [leave(clerk.staff_number)])
    c = wave_consequences(changes_from_rows(wave.rows), on=D).consequences
    assert sorted(g.grant.pk for g in c.appointment_caps) == sorted([grants["direct"].pk, grants["form1"].pk])
    assert wave.totals["appointment_caps"] == 2
    wave_apply(actor=hr, wave=wave)
    for g in Grant.objects.filter(pk__in=[grants["direct"].pk, grants["form1"].pk]):
        assert (g.valid_to, g.end_reason, g.end_note) == (D, EndReason.APPOINTMENT_ENDED, "A7")
    assert (
        clerk.appointment_on(D) is None and not User.objects.get(pk=world.users["jinji_clerk"].pk).is_active
    )


@pytest.mark.clause("A5.5")
@pytest.mark.clause("A4")
@time_machine.travel(NOW, tick=False)
def test_applying_writes_the_rows_notices_and_one_chained_event_per_change(world, grants, hr):
    clerk = world.people["jinji_clerk"]
    wave = _wave(hr, _the_wave(world))
    before = AuditChainHead.objects.get().last_seq
    result = wave_apply(actor=hr, wave=wave)
    wave.refresh_from_db()
    assert wave.status == WaveStatus.APPLIED
    assert [a.organization_id for a in clerk.assignments_on(D)] == [world.kazei.pk]
    assert [a.organization_id for a in clerk.assignments_on(D - dt.timedelta(days=1))] == [world.jinji.pk]
    direct = Grant.objects.get(pk=grants["direct"].pk)
    assert (direct.valid_to, direct.end_reason, direct.end_note) == (D, EndReason.TRANSFER, "A5.5")
    assert Grant.objects.get(pk=grants["form1"].pk).valid_to is None  # flagged, not revoked (A4)
    new = Person.objects.get(staff_number="N0001")
    assert [a.post.code for a in new.assignments_on(D)] == ["kacho"]
    assert not User.objects.get(pk=world.users["shiminzei_head"].pk).is_active
    assert Notification.objects.filter(clause="A5.5", recipient=world.people["shokuin_head"]).count() == 1
    assert Notification.objects.filter(clause="A4").count() == 2  # both sections' officers
    assert list(Notification.objects.filter(clause="A5.3").values_list("recipient", flat=True)) == [
        world.people["shiminzei_head"].pk
    ]
    assert Notification.objects.filter(clause="A3", recipient=new).count() == 1
    # A2.4: each hire gets a sign-in named by the staff number, without a usable password.
    hired = User.objects.filter(username__in=["N0001", "N0002"]).order_by("username")
    assert [(u.username, u.person.staff_number, u.has_usable_password()) for u in hired] == [
        ("N0001", "N0001", False),
        ("N0002", "N0002", False),
    ]
    assert AuditEvent.objects.filter(action=AuditAction.USER_CREATED, seq__gt=before).count() == 2
    applied = AuditEvent.objects.filter(action=AuditAction.PERSONNEL_CHANGE_APPLIED, seq__gt=before)
    assert applied.count() == 5
    assert AuditEvent.objects.filter(action=AuditAction.GRANT_ENDED, seq__gt=before).count() == 1
    # The same event grant_end(actor=None) writes (the grant is read back as a plain row).
    ended = AuditEvent.objects.get(action=AuditAction.GRANT_ENDED, seq__gt=before)
    assert (ended.target_type, ended.target_id, ended.target_label, ended.actor_id, ended.actor_label) == (
        "grants.grant",
        str(direct.pk),
        str(direct)[:300],
        None,
        "system",
    )
    assert (ended.old["valid_to"], ended.new["valid_to"], ended.new["end_reason"]) == (
        None,
        D.isoformat(),
        EndReason.TRANSFER,
    )
    assert (
        ended.new["user_id"] == direct.account.user_id and ended.new["system"] == direct.account.system.code
    )
    assert AuditEvent.objects.filter(seq__gt=before).count() == result["events"]
    assert audit_verify().ok


@pytest.mark.clause("A5.5")
@time_machine.travel(NOW, tick=False)
def test_a_failure_part_way_leaves_everything_as_before(world, grants, hr, monkeypatch):
    wave = _wave(hr, _the_wave(world))
    counts = (Person.objects.count(), Assignment.objects.count(), Notification.objects.count())
    seq = AuditChainHead.objects.get().last_seq

    def boom(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("kengen.hrwave.services.audit_record_many", boom)
    with pytest.raises(RuntimeError):
        wave_apply(actor=hr, wave=wave)
    assert (Person.objects.count(), Assignment.objects.count(), Notification.objects.count()) == counts
    assert AuditChainHead.objects.get().last_seq == seq
    assert Grant.objects.get(pk=grants["direct"].pk).valid_to is None
    assert User.objects.get(pk=world.users["shiminzei_head"].pk).is_active
    wave.refresh_from_db()
    assert wave.status == WaveStatus.PREVIEWED
    monkeypatch.undo()
    wave_apply(actor=hr, wave=wave)  # and the same list applies cleanly afterwards
    assert audit_verify().ok


@time_machine.travel(NOW, tick=False)
def test_applying_twice_and_reimporting_the_same_file_change_nothing(world, grants, hr):
    rows = _the_wave(world)
    wave = _wave(hr, rows)
    first = wave_apply(actor=hr, wave=wave)
    state = (
        Person.objects.count(),
        Assignment.objects.count(),
        Grant.objects.filter(ended_at__isnull=False).count(),
    )
    seq = AuditChainHead.objects.get().last_seq
    assert wave_apply(actor=hr, wave=wave) == first
    assert AuditChainHead.objects.get().last_seq == seq
    again = _wave(hr, rows)
    assert again.status == WaveStatus.PREVIEWED, again.errors
    assert {line.already_done for line in again.lines.all()} == {True}
    wave_apply(actor=hr, wave=again)
    assert (
        Person.objects.count(),
        Assignment.objects.count(),
        Grant.objects.filter(ended_at__isnull=False).count(),
    ) == state


@time_machine.travel(NOW, tick=False)
def test_back_dated_entries_are_processed_on_their_own_date(world, hr):
    kazei = world.people["kazei_clerk"]
    late = dt.date(2024, 7, 1)
    wave = _wave(hr, [move(kazei.staff_number, "JINJI", on=late.isoformat())])
    assert wave.status == WaveStatus.PREVIEWED, wave.errors
    wave_apply(actor=hr, wave=wave)
    assert [a.organization_id for a in kazei.assignments_on(late)] == [world.jinji.pk]
    assert [a.organization_id for a in kazei.assignments_on(late - dt.timedelta(days=1))] == [world.kazei.pk]


def test_a_list_is_scheduled_and_applied_by_run_due_on_its_date(world, hr):
    kazei = world.people["kazei_clerk"]
    future = dt.date(2025, 4, 1)
    with time_machine.travel(dt.datetime(2025, 3, 10, 1, tzinfo=dt.UTC), tick=False):
        wave = _wave(hr, [move(kazei.staff_number, "JINJI")], on=future)
        with pytest.raises(RuleViolation) as refused:  # a future date is scheduled, not applied
            wave_apply(actor=hr, wave=wave)
        assert refused.value.field == "effective_on"
        wave_schedule(actor=hr, wave=wave)
        assert waves_apply_due() == (0, 0)
    with time_machine.travel(dt.datetime(2025, 4, 1, 0, 30, tzinfo=dt.UTC), tick=False):
        summary = run_due()
    assert summary.waves_applied == 1
    wave.refresh_from_db()
    assert wave.status == WaveStatus.APPLIED
    assert [a.organization_id for a in kazei.assignments_on(future)] == [world.jinji.pk]


@time_machine.travel(NOW, tick=False)
def test_a_preview_is_refused_once_the_data_it_was_computed_from_changed(world, grants, hr):
    from kengen.grants.services import grant_end

    wave = _wave(hr, _the_wave(world))
    grant_end(actor=None, grant=grants["direct"], on=dt.date(2024, 9, 1), reason=EndReason.EXPIRED)
    with pytest.raises(Conflict):
        wave_apply(actor=hr, wave=wave)
    wave.refresh_from_db()
    assert wave.status == WaveStatus.PREVIEWED


@pytest.mark.clause("A3")
@pytest.mark.clause("A5.3")
@time_machine.travel(NOW, tick=False)
def test_two_hires_of_one_name_on_one_day_keep_their_own_preview_lines_and_notices(world, hr):
    wave = _wave(
        hr,
        [
            leave(world.people["shiminzei_head"].staff_number),
            hire("N0001", "山田", "太郎", "SHIMINZEI", "kacho"),  # gains the officer role (A4)
            hire("N0002", "山田", "太郎", "KAZEI", "shuji", "会計年度(パートタイム)", "2025-03-31"),  # A5.3
        ],
    )
    assert wave.status == WaveStatus.PREVIEWED, wave.errors
    lines = {line.staff_number: line.consequences for line in wave.lines.all()}
    role = str(Role.SECURITY_OFFICER.label)
    assert role in lines["N0001"] and "A5.3" not in lines["N0001"]
    assert "A5.3" in lines["N0002"] and role not in lines["N0002"]
    wave_apply(actor=hr, wave=wave)
    new_head, new_fy = Person.objects.get(staff_number="N0001"), Person.objects.get(staff_number="N0002")
    roles = Notification.objects.filter(clause="A3")  # the leaving head is told too
    assert roles.filter(recipient=new_head).count() == 1 and not roles.filter(recipient=new_fy).exists()
    registrations = Notification.objects.filter(clause="A5.3")
    assert registrations and {n.target_id for n in registrations} == {str(new_fy.pk)}


@pytest.mark.clause("A5.5")
@pytest.mark.clause("A7")
@time_machine.travel(NOW, tick=False)
def test_the_previews_plan_gives_back_exactly_what_the_engine_computed(world, grants, hr):
    from kengen.hrwave.models import WavePlan
    from kengen.hrwave.selectors import plan_load

    wave = _wave(hr, _the_wave(world))
    changes = changes_from_rows(wave.rows)
    items = WavePlan.objects.filter(wave=wave, on=D).order_by("part").values_list("items", flat=True)
    planned = plan_load(items, changes, on=D).consequences
    computed = wave_consequences(changes, on=D).consequences
    for name in (
        "roles_gained",
        "roles_lost",
        "direct_revocations",
        "form1_flags",
        "appointment_caps",
        "network_registrations",
        "sign_ins_to_disable",
        "sign_ins_to_enable",
    ):
        assert [i.as_dict() for i in getattr(planned, name)] == [i.as_dict() for i in getattr(computed, name)]
    assert planned.direct_revocations  # the fixture has something in the lists compared


@pytest.mark.clause("A5.5")
@time_machine.travel(NOW, tick=False)
def test_nothing_recorded_since_the_preview_applies_its_plan_without_running_the_engine(
    world, grants, hr, monkeypatch
):
    wave = _wave(hr, _the_wave(world))

    def engine(*args, **kwargs):
        raise AssertionError("the engine ran again although nothing changed")

    monkeypatch.setattr("kengen.hrwave.services.wave_consequences", engine)
    result = wave_apply(actor=hr, wave=wave)
    assert Grant.objects.get(pk=grants["direct"].pk).end_reason == EndReason.TRANSFER
    assert result["grants_ended"] >= 1
    assert audit_verify().ok


@pytest.mark.clause("A5.5")
@time_machine.travel(NOW, tick=False)
def test_anything_recorded_since_the_preview_makes_applying_run_the_engine_again(
    world, grants, hr, monkeypatch
):
    from kengen.audit.services import audit_record
    from kengen.hrwave import services

    wave = _wave(hr, _the_wave(world))
    audit_record(actor=hr, action=AuditAction.USER_UPDATED, target=hr, new={"note": "unrelated"})
    runs = []
    real = services.wave_consequences

    def engine(*args, **kwargs):
        runs.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr("kengen.hrwave.services.wave_consequences", engine)
    wave_apply(actor=hr, wave=wave)  # rechecked: the same consequences, so it applies
    assert runs == [1]
    assert Grant.objects.get(pk=grants["direct"].pk).end_reason == EndReason.TRANSFER
    assert audit_verify().ok


def test_scheduling_keeps_the_preview_current(world, hr):
    kazei = world.people["kazei_clerk"]
    with time_machine.travel(dt.datetime(2025, 3, 10, 1, tzinfo=dt.UTC), tick=False):
        wave = _wave(hr, [move(kazei.staff_number, "JINJI")], on=dt.date(2025, 4, 1))
        wave = wave_schedule(actor=hr, wave=wave)
        assert wave.computed_at_seq == AuditChainHead.objects.get().last_seq


@pytest.mark.clause("A5.5")
@time_machine.travel(NOW, tick=False)
def test_rows_are_stored_and_read_in_chunks_one_per_line(world, grants, hr, monkeypatch):
    from kengen.hrwave.models import WavePlan, WaveRow

    monkeypatch.setattr("kengen.hrwave.services.CHUNK", 2)
    monkeypatch.setattr("kengen.hrwave.selectors.CHUNK", 2)
    wave = _wave(hr, _the_wave(world))
    assert wave.status == WaveStatus.PREVIEWED, wave.errors
    assert list(WaveRow.objects.filter(wave=wave).order_by("row_no").values_list("row_no", flat=True)) == [
        2,
        3,
        4,
        5,
        6,
    ]
    assert WavePlan.objects.filter(wave=wave).exists()
    wave_apply(actor=hr, wave=wave)
    assert Grant.objects.get(pk=grants["direct"].pk).end_reason == EndReason.TRANSFER
    assert audit_verify().ok


@time_machine.travel(NOW, tick=False)
def test_a_refused_list_keeps_no_rows(world, hr):
    from kengen.hrwave.models import WaveRow

    kazei = world.people["kazei_clerk"]
    wave = _wave(hr, [move(kazei.staff_number, "JINJI"), move("NOBODY", "JINJI")])
    assert wave.status == WaveStatus.INVALID
    assert not WaveRow.objects.filter(wave=wave).exists()
