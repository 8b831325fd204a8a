"""Reads about Kengen users that the middleware, the views and the services share.

``users`` sits below ``people`` and ``roles`` in the dependency order, so those are imported inside
the functions (as ``core.restrict`` does with ``scope_for``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from kengen.people.choices import PersonKind
from kengen.people.models import Appointment, Person
from kengen.roles.selectors import scope_for
from kengen.users.choices import SecondFactorState

#: Set by ``user_with_sign_in_state`` on the user it loads: is the user's person not staff, or a
#: staff member with an appointment in force today (``user_in_force`` reads it instead of asking).
IN_FORCE_TODAY_ATTR = "_kengen_in_force_today"


def user_with_sign_in_state(user_id: Any) -> Any:
    """The user ``user_id`` with their person and whether they are in force today, in one query
    (Django asks the backend for the user on every request). ``None`` if there is no such user.

    A plain SELECT (``core.rawrows``): the user's and the person's columns and the in-force test,
    built into instances as ``select_related("person")`` would (the person cached on the user and
    the user on the person); compiling the same query with the ORM cost more Python than running it.
    A ``user_id`` of the wrong type raises ``ValueError``/``TypeError`` as the ORM's filter does."""
    from django.contrib.auth import get_user_model
    from django.db import connections, router

    from kengen.core.rawrows import model_columns

    model = get_user_model()
    pk = model._meta.pk.get_prep_value(user_id)
    alias = router.db_for_read(model)
    connection = connections[alias]
    quote = connection.ops.quote_name
    users = model_columns(model, alias, "u")
    people = model_columns(Person, alias, "p")
    person_field = model._meta.get_field("person")
    person_column = quote(person_field.column)
    today = connection.ops.adapt_datefield_value(timezone.localdate())
    # Table and column names from the models, values as parameters.
    sql = (
        f"SELECT {users.sql}, {people.sql},"  # noqa: S608
        f" (NOT EXISTS (SELECT 1 FROM {quote(Person._meta.db_table)} k"
        f" WHERE k.id = u.{person_column} AND k.kind = %s)"
        f" OR EXISTS (SELECT 1 FROM {quote(Appointment._meta.db_table)} a WHERE a.person_id = u.{person_column}"
        " AND a.valid_from <= %s AND (a.valid_to IS NULL OR a.valid_to > %s)))"
        f" FROM {quote(model._meta.db_table)} u LEFT OUTER JOIN {quote(Person._meta.db_table)} p"
        f" ON p.id = u.{person_column} WHERE u.{quote(str(model._meta.pk.column))} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [PersonKind.STAFF.value, today, today, pk])
        row = cursor.fetchone()
    if row is None:
        return None
    user = users.build(row[: len(users)])
    person = None
    if getattr(user, person_field.attname) is not None:
        person = people.build(row[len(users) : len(users) + len(people)])
        person_field.remote_field.set_cached_value(person, user)
    person_field.set_cached_value(user, person)
    setattr(user, IN_FORCE_TODAY_ATTR, bool(row[-1]))
    return user


def user_in_force(user: Any, *, on: dt.date | None = None) -> bool:
    """May ``user`` be signed in on ``on`` (default today)? Active, and — for staff linked to a
    person — holding an appointment in force that day, so a retirement ends Kengen access the day
    it takes effect. Maintenance staff have no appointment (their access follows their contractor's
    grants) and users without a person (e.g. the deployment's own administrator) are not dated."""
    from django.db.models import Exists, OuterRef, Q

    if user is None or not getattr(user, "is_active", False):
        return False
    person_id = getattr(user, "person_id", None)
    if not person_id:
        return True
    date = on or timezone.localdate()
    if on is None and hasattr(user, IN_FORCE_TODAY_ATTR):  # loaded with the user by the backend
        return bool(getattr(user, IN_FORCE_TODAY_ATTR))
    in_force = Appointment.objects.as_of(date).filter(person=OuterRef("pk"))
    # One query per request: staff need an appointment in force; other kinds are not dated.
    return Person.objects.filter(pk=person_id).filter(~Q(kind=PersonKind.STAFF) | Exists(in_force)).exists()


def mfa_required(user: Any, *, on: dt.date | None = None) -> bool:
    """Must ``user`` pass a second factor? Yes for anyone holding a role in Kengen on ``on``:
    security officers and administrators (derived from posts), auditors, configurators,
    superusers and staff of the admin site — everyone whose reach goes beyond their own record."""

    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser or user.is_staff:
        return True
    return scope_for(user, on=on).has_any_role


def has_primary_device(user: Any) -> bool:
    """A confirmed authenticator app (TOTP) or passkey; recovery codes alone do not count."""
    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()
    )


def _verified_with_primary_device(user: Any) -> bool:
    """The session passed with a confirmed authenticator app or passkey (loaded this request by
    django-otp), so the user has one: ``has_primary_device`` need not ask the database."""
    device = getattr(user, "otp_device", None)
    return (
        isinstance(device, (TOTPDevice, WebAuthnCredential))
        and bool(device.confirmed)
        and device.user_id == user.pk
    )


def second_factor_state(user: Any) -> SecondFactorState:
    """Where a signed-in user stands with the second factor in the current session.

    ``user`` is ``request.user`` as set by django-otp's ``OTPMiddleware`` (``is_verified()``).
    """
    verified = getattr(user, "is_verified", lambda: False)()
    required = mfa_required(user)
    if verified:
        if required and not _verified_with_primary_device(user) and not has_primary_device(user):
            return SecondFactorState.ENROL  # e.g. came in with a recovery code after losing a phone
        return SecondFactorState.DONE
    if user_has_device(user, confirmed=True):
        return SecondFactorState.VERIFY  # enrolled voluntarily or as required: always asked
    return SecondFactorState.ENROL if required else SecondFactorState.DONE


def devices_of(user: Any) -> dict[str, list]:
    """The user's confirmed second factors by kind, for their security page."""
    from kengen.users.models import RecoveryCodeDevice

    return {
        "totp": list(TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id")),
        "passkeys": list(WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("id")),
        "recovery": list(RecoveryCodeDevice.objects.filter(user=user, confirmed=True)),
    }
