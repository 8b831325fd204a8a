"""Biometric enrolment (A6.4): list who is still to enrol; designate place and time; record it."""

import datetime as dt
from typing import Annotated

from django.utils import timezone
from ninja import Router, Schema
from ninja.pagination import paginate

from kengen.core.access import get_visible
from kengen.core.bounds import SINGLE_LINE, ApiDateTime, Id, InSchema, fits
from kengen.core.exceptions import PermissionDenied
from kengen.core.paging import Key, KeysetPagination, Listing
from kengen.terminals.models import BiometricEnrolment
from kengen.terminals.services import enrolment_complete, enrolment_schedule

router = Router()


class EnrolmentOut(Schema):
    id: int
    person_id: int
    name: str
    staff_number: str | None
    application: str | None  # application number
    place: str
    appointment_at: dt.datetime | None
    completed_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    pending: bool


class ScheduleIn(InSchema):
    place: Annotated[str, fits(BiometricEnrolment, "place"), SINGLE_LINE]
    appointment_at: ApiDateTime


class CompleteIn(InSchema):
    completed_at: ApiDateTime | None = None  # default: now


def _out(e: BiometricEnrolment) -> EnrolmentOut:
    return EnrolmentOut(
        id=e.id,
        person_id=e.person_id,
        name=e.person.full_name,
        staff_number=e.person.staff_number,
        application=e.application.number if e.application is not None else None,
        place=e.place,
        appointment_at=e.appointment_at,
        completed_at=e.completed_at,
        cancelled_at=e.cancelled_at,
        pending=e.is_pending,
    )


def _aware(value: dt.datetime) -> dt.datetime:
    """A time without an offset is Japan time (the municipality's clock)."""
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _get_for_change(request, enrolment_id: Id) -> BiometricEnrolment:
    """404 outside the caller's sight; 403 for those who see it but may not act (officers, the person)."""
    e = get_visible(
        BiometricEnrolment, request.auth, pk=enrolment_id, ip_address=request.META.get("REMOTE_ADDR")
    )
    if not BiometricEnrolment.objects.restrict(request.auth, "change").filter(pk=e.pk).exists():
        raise PermissionDenied(
            "Only the two-factor system administrator designates and records enrolment (A6.4).", clause="A6.4"
        )
    return e


@router.get("", response=list[EnrolmentOut], summary="Biometric enrolments the caller may see, pending first")
@paginate(KeysetPagination)
def list_enrolments(request, pending: bool | None = None):
    # Pending first: not completed, not cancelled (NULLs first), soonest appointment, oldest.
    qs = BiometricEnrolment.objects.restrict(request.auth).select_related("person", "application")
    if pending is True:
        qs = qs.pending()
    elif pending is False:
        qs = qs.exclude(completed_at__isnull=True, cancelled_at__isnull=True)
    return Listing(
        qs,
        [
            Key("completed_at", nulls_first=True),
            Key("cancelled_at", nulls_first=True),
            Key("appointment_at", nulls_first=False),
            "created_at",
            "pk",
        ],
        to_out=lambda page: [_out(e) for e in page],
    )


@router.get("/{int:enrolment_id}", response=EnrolmentOut)
def get_enrolment(request, enrolment_id: Id):
    return _out(
        get_visible(
            BiometricEnrolment, request.auth, pk=enrolment_id, ip_address=request.META.get("REMOTE_ADDR")
        )
    )


@router.post(
    "/{int:enrolment_id}/schedule",
    response=EnrolmentOut,
    summary="Designate the place and time of enrolment (two-factor administrator, A6.4)",
)
def schedule(request, enrolment_id: Id, body: ScheduleIn):
    e = _get_for_change(request, enrolment_id)
    return _out(
        enrolment_schedule(
            actor=request.auth,
            enrolment_id=e.pk,
            place=body.place,
            appointment_at=_aware(body.appointment_at),
        )
    )


@router.post(
    "/{int:enrolment_id}/complete",
    response=EnrolmentOut,
    summary="Record that the person enrolled (never biometric data, A2.9/A6.4)",
)
def complete(request, enrolment_id: Id, body: CompleteIn | None = None):
    e = _get_for_change(request, enrolment_id)
    when = body.completed_at if body else None
    return _out(
        enrolment_complete(actor=request.auth, enrolment_id=e.pk, completed_at=_aware(when) if when else None)
    )
