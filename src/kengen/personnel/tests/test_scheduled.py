"""Future-dated personnel changes: stored, listed, cancellable before they take effect, applied by
``kengen run-due`` on their date; back-dated changes apply at once."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from kengen.audit.choices import AuditAction
from kengen.audit.models import AuditEvent
from kengen.core.exceptions import Conflict, PermissionDenied, RuleViolation
from kengen.jobs.services import run_due
from kengen.notifications.models import Notification
from kengen.people.choices import AppointmentEndReason
from kengen.personnel.changes import PersonnelChange
from kengen.personnel.choices import ChangeKind, ScheduledStatus
from kengen.personnel.models import ScheduledChange
from kengen.personnel.services import (
    AppliedChanges,
    personnel_changes_submit,
    scheduled_change_cancel,
    scheduled_change_create,
)

pytestmark = pytest.mark.django_db

TODAY = dt.datetime(2025, 3, 10, 9, 0, tzinfo=dt.UTC)
FUTURE = dt.date(2025, 4, 1)


def move(world):
    return PersonnelChange(kind=ChangeKind.MOVE, person=world.people["kazei_clerk"], organization=world.jinji)


@time_machine.travel(TODAY, tick=False)
def test_a_future_change_is_scheduled_not_applied(world, hr):
    result = personnel_changes_submit(actor=hr, changes=move(world), on=FUTURE)
    assert isinstance(result, ScheduledChange)
    assert (result.status, result.effective_on, result.created_by_id) == (
        ScheduledStatus.SCHEDULED,
        FUTURE,
        hr.pk,
    )
    assert result.person_id == world.people["kazei_clerk"].pk
    assert {a.organization_id for a in world.people["kazei_clerk"].assignments_on(FUTURE)} == {world.kazei.pk}
    assert AuditEvent.objects.filter(action=AuditAction.PERSONNEL_CHANGE_SCHEDULED).count() == 1


@time_machine.travel(TODAY, tick=False)
def test_a_back_dated_change_applies_at_once(world, hr):
    result = personnel_changes_submit(actor=hr, changes=move(world), on=dt.date(2025, 1, 1))
    assert isinstance(result, AppliedChanges)
    assert {a.organization_id for a in world.people["kazei_clerk"].assignments_on(dt.date(2025, 1, 1))} == {
        world.jinji.pk
    }


@time_machine.travel(TODAY, tick=False)
def test_a_scheduled_change_is_refused_now_if_it_would_be_refused_then(world, hr):
    bad = PersonnelChange(
        kind=ChangeKind.MOVE, person=world.people["kazei_clerk"], organization=world.joho, post=world.head
    )
    with pytest.raises(Conflict):
        scheduled_change_create(actor=hr, changes=bad, on=FUTURE)
    with pytest.raises(RuleViolation):
        scheduled_change_create(actor=hr, changes=move(world), on=dt.date(2025, 3, 10))
    assert not ScheduledChange.objects.exists()


@time_machine.travel(TODAY, tick=False)
def test_a_scheduled_change_is_cancelled_before_it_takes_effect(world, hr):
    row = scheduled_change_create(actor=hr, changes=move(world), on=FUTURE)
    with pytest.raises(PermissionDenied):
        scheduled_change_cancel(actor=world.users["shokuin_head"], scheduled=row)
    row = scheduled_change_cancel(actor=hr, scheduled=row)
    assert (row.status, row.cancelled_by_id) == (ScheduledStatus.CANCELLED, hr.pk)
    with pytest.raises(Conflict):
        scheduled_change_cancel(actor=hr, scheduled=row)
    with time_machine.travel(dt.datetime(2025, 4, 1, 1, 0, tzinfo=dt.UTC), tick=False):
        run_due()
    assert {a.organization_id for a in world.people["kazei_clerk"].assignments_on(FUTURE)} == {world.kazei.pk}


@pytest.mark.clause("A7")
def test_run_due_applies_scheduled_changes_on_their_date(world, hr):
    with time_machine.travel(TODAY, tick=False):
        scheduled_change_create(actor=hr, changes=move(world), on=FUTURE)
        retire = PersonnelChange(
            kind=ChangeKind.END, person=world.people["jinji_clerk"], reason=AppointmentEndReason.RETIRED
        )
        scheduled_change_create(actor=hr, changes=retire, on=FUTURE)
        assert run_due().personnel_applied == 0
    with time_machine.travel(dt.datetime(2025, 4, 1, 1, 0, tzinfo=dt.UTC), tick=False):
        summary = run_due()
    assert (summary.personnel_applied, summary.personnel_failed) == (2, 0)
    assert set(ScheduledChange.objects.values_list("status", flat=True)) == {ScheduledStatus.APPLIED}
    applied = AuditEvent.objects.filter(action=AuditAction.PERSONNEL_CHANGE_APPLIED)
    assert [e.new["entered_by"] for e in applied] == [hr.pk, hr.pk]
    assert {a.organization_id for a in world.people["kazei_clerk"].assignments_on(FUTURE)} == {world.jinji.pk}
    world.users["jinji_clerk"].refresh_from_db()
    assert world.users["jinji_clerk"].is_active is False


def test_a_scheduled_change_refused_on_its_date_is_marked_failed_and_its_author_told(world, hr):
    with time_machine.travel(TODAY, tick=False):
        row = scheduled_change_create(
            actor=hr,
            changes=PersonnelChange(
                kind=ChangeKind.MOVE, person=world.people["kazei_clerk"], organization=world.jinji
            ),
            on=FUTURE,
        )
    # Meanwhile the person resigned (recorded before the date): the move can no longer apply.
    from kengen.people.services import appointment_end

    appointment_end(
        actor=None,
        appointment=world.people["kazei_clerk"].appointments.get(),
        on=dt.date(2025, 3, 20),
        reason=AppointmentEndReason.RESIGNED,
    )
    with time_machine.travel(dt.datetime(2025, 4, 1, 1, 0, tzinfo=dt.UTC), tick=False):
        summary = run_due()
    assert (summary.personnel_applied, summary.personnel_failed) == (0, 1)
    row.refresh_from_db()
    assert row.status == ScheduledStatus.FAILED and row.error
    assert Notification.objects.filter(recipient=hr.person).count() == 1


@pytest.mark.clause("AS")
@time_machine.travel(TODAY, tick=False)
def test_a_change_on_or_after_a_pending_one_for_the_same_person_is_refused_naming_it(world, hr):
    first = scheduled_change_create(actor=hr, changes=move(world), on=FUTURE)
    retire = PersonnelChange(
        kind=ChangeKind.END, person=world.people["kazei_clerk"], reason=AppointmentEndReason.RETIRED
    )
    for later in (FUTURE, dt.date(2025, 10, 1)):
        with pytest.raises(Conflict) as exc:
            scheduled_change_create(actor=hr, changes=retire, on=later)
        assert first.summary in exc.value.message
    assert ScheduledChange.objects.count() == 1
    # Someone else is not concerned.
    other = PersonnelChange(
        kind=ChangeKind.MOVE, person=world.people["jinji_clerk"], organization=world.kazei
    )
    assert scheduled_change_create(actor=hr, changes=other, on=FUTURE).status == ScheduledStatus.SCHEDULED


@pytest.mark.clause("AS")
@time_machine.travel(TODAY, tick=False)
def test_an_earlier_change_lists_the_pending_later_one_which_is_checked_again_on_its_date(world, hr):
    from kengen.personnel.selectors import consequences_of

    later = scheduled_change_create(actor=hr, changes=move(world), on=FUTURE)
    now = PersonnelChange(
        kind=ChangeKind.MOVE, person=world.people["kazei_clerk"], organization=world.shokuin
    )
    c = consequences_of(now, on=dt.date(2025, 3, 10))
    assert [(p.person_id, p.clause) for p in c.pending_later] == [(world.people["kazei_clerk"].pk, "AS")]
    assert later.summary in c.pending_later[0].note
    personnel_changes_submit(actor=hr, changes=now, on=dt.date(2025, 3, 10), expected=c.fingerprint)
    with time_machine.travel(dt.datetime(2025, 4, 1, 6, 0, tzinfo=dt.UTC), tick=False):
        run_due()
    later.refresh_from_db()
    assert later.status == ScheduledStatus.APPLIED
    assert {a.organization_id for a in world.people["kazei_clerk"].assignments_on(FUTURE)} == {world.jinji.pk}


@pytest.mark.clause("A2.4")
@time_machine.travel(TODAY, tick=False)
def test_a_staff_number_already_in_a_scheduled_hire_is_refused(world, hr):
    from kengen.people.choices import EmploymentType
    from kengen.personnel.changes import NewPerson

    def hire(given):
        return PersonnelChange(
            kind=ChangeKind.HIRE,
            new_person=NewPerson("N7001", "新井", given, "アライ", "ハルコ"),
            employment_type=EmploymentType.REGULAR,
            organization=world.kazei,
            post=world.clerk,
        )

    scheduled_change_create(actor=hr, changes=hire("春子"), on=FUTURE)
    with pytest.raises(Conflict) as exc:
        scheduled_change_create(actor=hr, changes=hire("夏子"), on=dt.date(2025, 5, 1))
    assert exc.value.field == "staff_number"
    assert ScheduledChange.objects.count() == 1
