"""Biometric enrolment after a terminal application (A6.4)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kengen.audit.choices import AuditAction
from kengen.audit.services import audit_record
from kengen.core.era import wareki_datetime
from kengen.core.exceptions import Conflict, NotFound, RuleViolation
from kengen.core.types import Actor
from kengen.notifications.services import notification_send
from kengen.people.models import Person
from kengen.roles.selectors import security_officers_of_person
from kengen.terminals.models import BiometricEnrolment

REMIND_EVERY = dt.timedelta(days=7)


@transaction.atomic
def enrolment_open(
    *,
    actor: Actor,
    person: Person,
    # An ``applications.Application``: that app sits above terminals (its Form 1 registration
    # opens the enrolment), so the layer contract keeps its name out of this module.
    application: Any = None,
) -> BiometricEnrolment:
    """Record that ``person`` must enrol (called when a terminal application is registered)."""
    existing = BiometricEnrolment.objects.select_for_update().pending().filter(person=person).first()
    if existing is not None:
        return existing
    enrolment = BiometricEnrolment.objects.create(
        person=person, application=application, recorded_by=actor if getattr(actor, "pk", None) else None
    )
    audit_record(
        actor=actor,
        action=AuditAction.ENROLMENT_OPENED,
        target=enrolment,
        application_ref=application.number if application else "",
        new={"person": person.pk},
    )
    notification_send(
        recipients=[person],
        clause="A6.4",
        subject=_("Please enrol your biometric data for terminal use"),
        body=_(
            "Your terminal permission has been registered. Enrol your biometric data at the place the "
            "two-factor system administrator designates; you will be told the place and time."
        ),
        target=enrolment,
    )
    return enrolment


def _get(actor: Actor, enrolment_id: int) -> BiometricEnrolment:
    e = (
        BiometricEnrolment.objects.restrict(actor, "change")
        .select_for_update()
        .filter(pk=enrolment_id)
        .first()
    )
    if e is None:
        raise NotFound(_("Not found."))
    return e


@transaction.atomic
def enrolment_schedule(
    *, actor: Actor, enrolment_id: int, place: str, appointment_at: dt.datetime
) -> BiometricEnrolment:
    """The two-factor administrator designates the place and time (A6.4)."""
    e = _get(actor, enrolment_id)
    if not e.is_pending:
        raise Conflict(_("This enrolment is already closed."))
    if not place.strip():
        raise RuleViolation(_("Designate the place of enrolment."), clause="A6.4", field="place")
    old = {"place": e.place, "appointment_at": e.appointment_at}
    e.place = place.strip()
    e.appointment_at = appointment_at
    e.save(update_fields=["place", "appointment_at"])
    audit_record(
        actor=actor,
        action=AuditAction.ENROLMENT_SCHEDULED,
        target=e,
        old=old,
        new={"place": e.place, "appointment_at": appointment_at},
    )
    local = timezone.localtime(appointment_at)
    notification_send(
        recipients=[e.person, *security_officers_of_person(e.person, timezone.localdate())],
        clause="A6.4",
        subject=_("Biometric enrolment: %(when)s at %(place)s")
        % {"when": wareki_datetime(local), "place": e.place},
        body=_("%(name)s is to enrol biometric data for terminal use at %(place)s on %(when)s.")
        % {"name": e.person.full_name, "place": e.place, "when": wareki_datetime(local)},
        target=e,
        link=reverse("terminals:list"),
    )
    return e


#: How far ahead of the server's clock a recorded completion time may be (minute rounding, skew).
COMPLETION_CLOCK_SLACK = dt.timedelta(minutes=5)


@transaction.atomic
def enrolment_complete(
    *, actor: Actor, enrolment_id: int, completed_at: dt.datetime | None = None
) -> BiometricEnrolment:
    """Record that the person enrolled (at ``completed_at``, default now; never a time still to
    come: a closed enrolment stops the reminders, A6.4). No biometric data is recorded, ever (A2.9)."""
    e = _get(actor, enrolment_id)
    if not e.is_pending:
        raise Conflict(_("This enrolment is already closed."))
    if not e.place:
        raise RuleViolation(
            _("Designate the place before recording the enrolment."), clause="A6.4", field="place"
        )
    now = timezone.now()
    # The page's time is to the minute and the administrator's clock may run ahead of the
    # server's: the current minute, typed, is not "the future".
    if completed_at is not None and completed_at > now + COMPLETION_CLOCK_SLACK:
        raise RuleViolation(
            _("An enrolment is recorded once it has taken place: the time cannot be in the future."),
            clause="A6.4",
            field="completed_at",
        )
    e.completed_at = completed_at or now
    e.save(update_fields=["completed_at"])
    audit_record(
        actor=actor, action=AuditAction.ENROLMENT_COMPLETED, target=e, new={"completed_at": e.completed_at}
    )
    return e


@transaction.atomic
def enrolment_cancel(*, actor: Actor, enrolment_id: int, reason: str) -> BiometricEnrolment:
    """A6.6: the two-factor administrator cancels a pending enrolment a validity check found no
    longer needed (the terminal permission went, or the person left). Never deletes."""
    e = _get(actor, enrolment_id)
    if not e.is_pending:
        raise Conflict(_("This enrolment is already closed."))
    if not reason.strip():
        raise RuleViolation(_("State why the enrolment is cancelled."), clause="A6.6", field="reason")
    e.cancelled_at = timezone.now()
    e.save(update_fields=["cancelled_at"])
    audit_record(
        actor=actor,
        action=AuditAction.ENROLMENT_CANCELLED,
        target=e,
        new={"cancelled_at": e.cancelled_at, "reason": reason.strip()},
    )
    return e


def enrolment_remind_due(*, now: dt.datetime | None = None) -> int:
    """Remind people still to enrol, and their security officers, at most once a week each."""
    now = now or timezone.now()
    reminded = 0
    for e in BiometricEnrolment.objects.pending().select_related("person"):
        with transaction.atomic():
            locked = (
                BiometricEnrolment.objects.select_for_update(skip_locked=True)
                .pending()
                .filter(pk=e.pk)
                .first()
            )
            if locked is None or (locked.last_reminded_at and now - locked.last_reminded_at < REMIND_EVERY):
                continue
            if now - locked.created_at < REMIND_EVERY:
                continue
            locked.last_reminded_at = now
            locked.save(update_fields=["last_reminded_at"])
            where = (
                _("at %(place)s on %(when)s")
                % {"place": locked.place, "when": wareki_datetime(timezone.localtime(locked.appointment_at))}
                if locked.place and locked.appointment_at
                else _("(place and time to be designated)")
            )
            notification_send(
                recipients=[
                    locked.person,
                    *security_officers_of_person(locked.person, timezone.localdate(now)),
                ],
                clause="A6.4",
                subject=_("Reminder: biometric enrolment is still pending"),
                body=_("%(name)s has not yet enrolled biometric data for terminal use %(where)s.")
                % {"name": locked.person.full_name, "where": where},
                target=locked,
            )
            reminded += 1
    return reminded
