"""Reads about people that several apps share."""

from __future__ import annotations

import datetime as dt

# A5.3: a network user registration counts for an appointment when it was filed no earlier than
# this many days before the appointment starts (HR files it in March for an April appointment);
# one filed for an earlier appointment does not count for the next.
NETWORK_REGISTRATION_LEAD_DAYS = 31


def network_registration_window_start(appointment_start: dt.date) -> dt.date:
    """The earliest filing date of a network user registration that counts for an appointment
    starting on ``appointment_start`` (A5.3)."""
    return appointment_start - dt.timedelta(days=NETWORK_REGISTRATION_LEAD_DAYS)
