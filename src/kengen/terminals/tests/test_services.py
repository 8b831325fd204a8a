"""Biometric enrolment services (A6.4): recording that the person enrolled."""

import datetime as dt

import pytest
from django.utils import timezone

from kengen.audit.models import AuditEvent
from kengen.core.exceptions import RuleViolation
from kengen.terminals.services import enrolment_complete, enrolment_schedule

pytestmark = pytest.mark.django_db


@pytest.mark.clause("A6.4")
def test_an_enrolment_cannot_be_recorded_for_a_time_still_to_come(world, enrolment):
    """A closed enrolment stops the reminders: one recorded "done" tomorrow would close it today,
    before the person enrolled (a slip of the date picker on the page did exactly that)."""
    admin = world.users["joho_head"]
    now = timezone.now()
    enrolment_schedule(actor=admin, enrolment_id=enrolment.pk, place="本庁舎", appointment_at=now)
    with pytest.raises(RuleViolation) as refused:
        enrolment_complete(actor=admin, enrolment_id=enrolment.pk, completed_at=now + dt.timedelta(days=1))
    assert refused.value.clause == "A6.4" and refused.value.field == "completed_at"
    enrolment.refresh_from_db()
    assert enrolment.is_pending
    assert not AuditEvent.objects.filter(action="enrolment.completed").exists()

    with pytest.raises(RuleViolation):  # just beyond the slack for clocks and minute rounding
        enrolment_complete(actor=admin, enrolment_id=enrolment.pk, completed_at=now + dt.timedelta(minutes=6))
    assert not AuditEvent.objects.filter(action="enrolment.completed").exists()

    done = enrolment_complete(
        actor=admin, enrolment_id=enrolment.pk, completed_at=now - dt.timedelta(hours=1)
    )
    assert done.completed_at == now - dt.timedelta(hours=1) and not done.is_pending


@pytest.mark.clause("A6.4")
def test_the_current_minute_typed_on_a_clock_running_ahead_is_not_the_future(world, enrolment):
    """The page takes the time to the minute: 10:31 typed at 10:30:50, or a clock a little ahead
    of the server's, is recorded, not refused."""
    admin = world.users["joho_head"]
    now = timezone.now()
    enrolment_schedule(actor=admin, enrolment_id=enrolment.pk, place="本庁舎", appointment_at=now)
    ahead = now + dt.timedelta(minutes=2)
    done = enrolment_complete(actor=admin, enrolment_id=enrolment.pk, completed_at=ahead)
    assert done.completed_at == ahead and not done.is_pending
