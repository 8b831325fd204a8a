"""Reads about people that several apps share."""

from __future__ import annotations

import datetime as dt

from kengen.people.models import PersonnelPolicy

#: A5.3 default: days before an appointment's start from which a network user registration counts
#: for it (``PersonnelPolicy.network_registration_lead_days`` overrides it).
NETWORK_REGISTRATION_LEAD_DAYS = 31


def personnel_policy() -> PersonnelPolicy:
    """The city's personnel periods: the stored row, or the defaults if none was set."""
    return PersonnelPolicy.objects.filter(pk=1).first() or PersonnelPolicy(
        pk=1, network_registration_lead_days=NETWORK_REGISTRATION_LEAD_DAYS
    )


def network_registration_window_start(appointment_start: dt.date) -> dt.date:
    """The earliest filing date of a network user registration that counts for an appointment
    starting on ``appointment_start`` (A5.3): a registration filed for an earlier appointment does
    not count for the next."""
    return appointment_start - dt.timedelta(days=personnel_policy().network_registration_lead_days)
