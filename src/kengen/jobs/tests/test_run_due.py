"""``kengen run-due``: closes what has expired (A7), idempotently."""

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import call_command

from kengen.audit.models import AuditEvent
from kengen.grants.choices import EndReason, GrantBasis
from kengen.grants.services import account_create, grant_create
from kengen.jobs.services import run_due
from kengen.notifications.models import Notification
from kengen.people.choices import AppointmentEndReason, EmploymentType
from kengen.people.services import appointment_end
from kengen.terminals.services import enrolment_open
from kengen.testing import START, staff

pytestmark = pytest.mark.django_db
JST = dt.timezone(dt.timedelta(hours=9))


def _grant(world, person, valid_to=None):
    core, tax = world.core() if not hasattr(world, "_core") else world._core
    world._core = (core, tax)
    account = account_create(
        actor=None, system=core, user_id=f"u{person.pk}", person=person, valid_from=START
    )
    return grant_create(
        actor=None,
        account=account,
        permission=tax.permissions.get(code="inquiry"),
        valid_from=START,
        valid_to=valid_to,
        basis=GrantBasis.INITIAL_LOAD,
    )


@pytest.mark.clause("A7")
def test_grant_ending_with_the_appointment_is_closed_with_the_a7_reason(world):
    fy = staff(
        world.jinji,
        employment_type=EmploymentType.FY_FULL_TIME,
        valid_from=START,
        appointment_to=dt.date(2025, 4, 1),
    )
    g = _grant(world, fy, valid_to=dt.date(2025, 4, 1))
    with time_machine.travel(dt.datetime(2025, 3, 31, 23, 0, tzinfo=JST), tick=False):
        assert run_due().expired == 0
    with time_machine.travel(dt.datetime(2025, 4, 1, 0, 5, tzinfo=JST), tick=False):
        assert run_due().expired == 1
    g.refresh_from_db()
    assert g.end_reason == EndReason.APPOINTMENT_ENDED
    assert g.ended_at is not None
    assert (
        AuditEvent.objects.filter(
            action="grant.ended", target_id=str(g.pk), actor_label="kengen run-due"
        ).count()
        == 1
    )


@pytest.mark.clause("A7")
def test_retirement_recorded_later_caps_an_open_ended_grant(world):
    person = world.people["jinji_clerk"]
    g = _grant(world, person)
    appointment_end(
        actor=None,
        appointment=person.appointments.get(),
        on=dt.date(2025, 4, 1),
        reason=AppointmentEndReason.RETIRED,
    )
    with time_machine.travel(dt.datetime(2025, 4, 2, 9, 0, tzinfo=JST), tick=False):
        summary = run_due()
    assert summary.capped == 1
    g.refresh_from_db()
    assert g.valid_to == dt.date(2025, 4, 1)
    assert g.end_reason == EndReason.APPOINTMENT_ENDED


def test_run_due_is_idempotent(world):
    g = _grant(world, world.people["jinji_clerk"], valid_to=dt.date(2024, 6, 1))
    with time_machine.travel(dt.datetime(2024, 6, 2, 9, 0, tzinfo=JST), tick=False):
        first = run_due()
        events = AuditEvent.objects.count()
        second = run_due()
    assert first.expired == 1
    assert second.expired == 0 and second.capped == 0
    assert AuditEvent.objects.count() == events  # a run with nothing to do records nothing
    g.refresh_from_db()
    assert g.end_reason == EndReason.EXPIRED


@pytest.mark.clause("A6.4")
def test_pending_enrolment_is_reminded_weekly_to_person_and_officer(world):
    person = world.people["jinji_clerk"]
    with time_machine.travel(dt.datetime(2024, 5, 1, 9, 0, tzinfo=JST), tick=False):
        enrolment_open(actor=None, person=person)
    with time_machine.travel(dt.datetime(2024, 5, 9, 9, 0, tzinfo=JST), tick=False):
        assert run_due().reminders == 1
        assert run_due().reminders == 0  # not again within the week
    reminders = Notification.objects.filter(
        clause="A6.4", created_at__gte=dt.datetime(2024, 5, 9, tzinfo=JST)
    )
    recipients = {n.recipient_id for n in reminders}
    assert recipients == {person.pk, world.people["shokuin_head"].pk}


def test_command_prints_a_summary():
    out = io.StringIO()
    call_command("run_due", stdout=out)
    assert "expired=0" in out.getvalue()


@pytest.mark.skipif(
    not __import__("os").environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="concurrent hosts share a PostgreSQL database; SQLite is single-host",
)
@pytest.mark.django_db(transaction=True)
@pytest.mark.clause("A7")
def test_two_hosts_running_run_due_at_once_close_each_grant_exactly_once(world):
    import threading

    from django.db import connection

    grants = [
        _grant(world, world.people[k], valid_to=dt.date(2024, 6, 1)) for k in ("jinji_clerk", "kazei_clerk")
    ]
    barrier = threading.Barrier(2)
    summaries = []

    def host():
        try:
            barrier.wait()
            with time_machine.travel(dt.datetime(2024, 6, 2, 9, 0, tzinfo=JST), tick=False):
                summaries.append(run_due())
        finally:
            connection.close()

    threads = [threading.Thread(target=host) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(s.expired for s in summaries) == 2
    for g in grants:
        assert AuditEvent.objects.filter(action="grant.ended", target_id=str(g.pk)).count() == 1
