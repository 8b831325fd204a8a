"""``kengen run-due``: the work that falls due with time.

- grants whose ``valid_to`` has come are closed (end reason: period ended, or end of appointment, A7);
- grants of people whose appointment has ended are capped at its end (A7) — e.g. a retirement
  recorded after the grant was made;
- people still to enrol biometric data, and their officers, are reminded (A6.4);
- unused temporary passwords expire and lock their user ID (A8.4); password holders are reminded
  before a change falls due, and passwords past it are recorded as due (A8.7, A8.8);
- outsourcing (A12, A13): reliability evidence is reminded before it expires and noted when it
  has, re-assessments and checklist reviews are reminded, and contracts whose period is over end
  with their maintenance staff's IDs and permissions (A5.9);
- emails that could not be sent are retried.

Idempotent and safe to run every few minutes from cron or a systemd timer, also from two hosts
against one PostgreSQL database: the whole run takes a PostgreSQL advisory lock (a second run
finds it taken and does nothing), and every item is re-checked under a row lock before it changes,
so nothing is processed twice even without the lock (SQLite serialises writers itself).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from kengen.audit.choices import AuditAction
from kengen.audit.services import audit_record
from kengen.core.models import active_on_q
from kengen.credentials.services import credentials_run_due
from kengen.grants.choices import EndReason
from kengen.grants.models import Grant
from kengen.hrwave.services import waves_apply_due
from kengen.notifications.choices import EmailStatus
from kengen.notifications.models import Notification
from kengen.notifications.services import notification_deliver
from kengen.outsourcing.services import outsourcing_run_due
from kengen.people.models import Appointment
from kengen.personnel.services import scheduled_changes_apply_due
from kengen.reviews.services import reviews_run_due
from kengen.terminals.services import enrolment_remind_due

ADVISORY_LOCK_KEY = 0x4B454E47454E  # "KENGEN"


@dataclass
class DueSummary:
    ran: bool = True
    expired: int = 0
    capped: int = 0
    reminders: int = 0
    emails_retried: int = 0
    temporary_expired: int = 0  # A8.4: unused temporary passwords locked
    password_reminders: int = 0  # A8.7: reminders before a change falls due
    passwords_due: int = 0  # A8.7/A8.8: passwords past their deadline
    personnel_applied: int = 0  # scheduled personnel changes applied on their date
    personnel_failed: int = 0  # scheduled personnel changes refused on their date
    evidence_reminders: int = 0  # A13.1(5): reliability evidence expiring soon
    evidence_expired: int = 0  # A13.1(5): expired evidence noted, re-assessment brought forward
    reassessment_reminders: int = 0  # A13.1: re-assessments due soon
    review_reminders: int = 0  # A12.1(2): checklist reviews due soon
    contracts_ended: int = 0  # A5.9: contracts past their period, with their maintenance IDs
    reviews_opened: int = 0  # A5.10: scheduled validity checks opened
    reviews_reminded: int = 0  # validity checks whose officers were reminded
    reviews_escalated: int = 0  # overdue validity checks escalated (never auto-revoked)
    waves_applied: int = 0  # scheduled HR waves applied on their date
    waves_failed: int = 0  # scheduled HR waves refused on their date

    def as_dict(self) -> dict:
        return {
            "expired": self.expired,
            "capped": self.capped,
            "reminders": self.reminders,
            "emails_retried": self.emails_retried,
            "temporary_expired": self.temporary_expired,
            "password_reminders": self.password_reminders,
            "personnel_applied": self.personnel_applied,
            "personnel_failed": self.personnel_failed,
            "waves_applied": self.waves_applied,
            "waves_failed": self.waves_failed,
            "passwords_due": self.passwords_due,
            "evidence_reminders": self.evidence_reminders,
            "evidence_expired": self.evidence_expired,
            "reassessment_reminders": self.reassessment_reminders,
            "review_reminders": self.review_reminders,
            "contracts_ended": self.contracts_ended,
            "reviews_opened": self.reviews_opened,
            "reviews_reminded": self.reviews_reminded,
            "reviews_escalated": self.reviews_escalated,
        }


@contextmanager
def _single_flight() -> Iterator[bool]:
    """On PostgreSQL, let only one run at a time proceed (session-level advisory lock)."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_LOCK_KEY])
        got = cur.fetchone()[0]
    try:
        yield got
    finally:
        if got:
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK_KEY])


def _close(grant_id: int, *, reason: str, now: dt.datetime, valid_to: dt.date | None = None) -> bool:
    with transaction.atomic():
        g = (
            Grant.objects.select_for_update(skip_locked=True)
            .select_related("account__system", "permission")
            .filter(pk=grant_id, ended_at__isnull=True)
            .first()
        )
        if g is None:
            return False  # someone else did it
        old = {"valid_to": g.valid_to, "end_reason": g.end_reason}
        if valid_to is not None:
            g.valid_to = max(valid_to, g.valid_from)
        g.end_reason = reason
        g.ended_at = now
        g.save(update_fields=["valid_to", "end_reason", "ended_at"])
        audit_record(
            actor=None,
            actor_label="kengen run-due",
            action=AuditAction.GRANT_ENDED,
            target=g,
            old=old,
            new={"valid_to": g.valid_to, "end_reason": reason},
            application_ref=g.basis_reference,
        )
    return True


def _appointment_end(person_id: int, on_or_before: dt.date) -> dt.date | None:
    last = (
        Appointment.objects.filter(person_id=person_id, valid_to__isnull=False, valid_to__lte=on_or_before)
        .order_by("-valid_to")
        .values_list("valid_to", flat=True)
        .first()
    )
    return last


def close_expired_grants(today: dt.date, now: dt.datetime) -> int:
    """Grants whose period is over but which nobody closed yet."""
    done = 0
    for gid, person_id, valid_to in Grant.objects.filter(
        ended_at__isnull=True, valid_to__lte=today
    ).values_list("id", "account__person_id", "valid_to"):
        assert valid_to is not None  # filtered on valid_to__lte
        end = _appointment_end(person_id, valid_to) if person_id else None
        reason = EndReason.APPOINTMENT_ENDED if end == valid_to else EndReason.EXPIRED
        done += _close(gid, reason=reason, now=now)
    return done


def cap_grants_at_appointment_end(today: dt.date, now: dt.datetime) -> int:
    """A7: staff grants still running although their holder has no appointment today."""
    employed_today = Appointment.objects.filter(active_on_q(today), person_id=OuterRef("account__person_id"))
    stale = (
        Grant.objects.filter(ended_at__isnull=True, account__person__kind="staff")
        .filter(active_on_q(today) | active_on_q(today, "account__"))
        .exclude(valid_to__lte=today)
        .filter(~Exists(employed_today))
        .values_list("id", "account__person_id")
    )
    done = 0
    for gid, person_id in stale:
        end = _appointment_end(person_id, today)
        if end is None:
            continue  # never appointed: nothing to cap against (refused at creation anyway)
        done += _close(gid, reason=EndReason.APPOINTMENT_ENDED, now=now, valid_to=end)
    return done


def run_due(*, now: dt.datetime | None = None) -> DueSummary:
    now = now or timezone.now()
    today = timezone.localdate(now)
    with _single_flight() as got:
        if not got:
            return DueSummary(ran=False)
        summary = DueSummary()
        # Scheduled personnel changes first: a retirement due today caps grants below (A7).
        summary.personnel_applied, summary.personnel_failed = scheduled_changes_apply_due(today=today)
        # Scheduled HR waves (hrwave) on their date, in one transaction each.
        summary.waves_applied, summary.waves_failed = waves_apply_due(today=today)
        # Contracts past their period end first, with their maintenance staff's IDs (A5.9).
        for name, count in outsourcing_run_due(today=today).items():  # A12.1, A13.1
            setattr(summary, name, count)
        summary.expired = close_expired_grants(today, now)
        summary.capped = cap_grants_at_appointment_end(today, now)
        summary.reminders = enrolment_remind_due(now=now)
        reviews = reviews_run_due(today=today)  # A5.10: remind, escalate; never revoke
        summary.reviews_opened = reviews.opened
        summary.reviews_reminded = reviews.reminded
        summary.reviews_escalated = reviews.escalated
        for name, count in credentials_run_due(now=now).items():  # A8.4, A8.7, A8.8
            setattr(summary, name, count)
        failed = list(
            Notification.objects.filter(email_status=EmailStatus.FAILED).values_list("id", flat=True)
        )
        summary.emails_retried = notification_deliver(ids=failed) if failed else 0
        if any(summary.as_dict().values()):
            audit_record(
                actor=None,
                actor_label="kengen run-due",
                action=AuditAction.DUE_RUN,
                target_label="run-due",
                new=summary.as_dict(),
            )
        return summary
