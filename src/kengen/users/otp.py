"""django-otp's ``OTPMiddleware`` with the session's device read in one plain SELECT.

Every signed-in request loads the device that passed the second factor in this session (the
session's ``otp_device_id``, a persistent id ``app_label.model_name/pk``). django-otp does it with
``Device.from_persistent_id`` — an ORM query whose compilation cost more Python than the database
spent answering it. Here the same row of the same table is read by its primary key with the model's
own columns and converters, and the instance is built with ``Model.from_db`` as the ORM would.
Everything else is django-otp's own code, unchanged: the device counts only if it is confirmed and
belongs to the signed-in user (``_finalize_device``), otherwise ``otp_device`` is ``None`` and the
id is removed from the session; ``user.is_verified()`` is ``otp_device is not None``.
"""

from __future__ import annotations

from django.apps import apps
from django.db import connections, router
from django_otp.middleware import OTPMiddleware as DjangoOTPMiddleware
from django_otp.models import Device

from kengen.core.rawrows import model_columns


def device_from_persistent_id(persistent_id: str) -> Device | None:
    """The device a persistent id names, as ``Device.from_persistent_id`` loads it (``None`` for a
    malformed id, an unknown model, a model that is not a device, or a deleted device)."""
    try:
        model_label, device_id = persistent_id.rsplit("/", 1)
        app_label, model_name = model_label.split(".")
        model = apps.get_model(app_label, model_name)
        pk = int(device_id)
    except (ValueError, LookupError):
        return None
    if not issubclass(model, Device):
        return None
    alias = router.db_for_read(model)
    columns = model_columns(model, alias, "d")
    connection = connections[alias]
    table = connection.ops.quote_name(model._meta.db_table)
    pk_column = connection.ops.quote_name(str(model._meta.pk.column))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns.sql} FROM {table} d WHERE d.{pk_column} = %s", [pk])  # noqa: S608 - the model's own names
        row = cursor.fetchone()
    return None if row is None else columns.build(row)


class OTPMiddleware(DjangoOTPMiddleware):
    """django-otp's middleware (``request.user.otp_device``, ``request.user.is_verified()``), the
    device read with ``device_from_persistent_id``."""

    def _device_from_persistent_id(self, persistent_id: str):
        return device_from_persistent_id(self._normalize_persistent_id(persistent_id))
