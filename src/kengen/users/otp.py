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

import threading
from typing import Any

from django.apps import apps
from django.db import connections, router
from django_otp.middleware import OTPMiddleware as DjangoOTPMiddleware
from django_otp.models import Device

#: Per (model, database alias): the SELECT, the attribute names and each column's converters.
_READERS: dict[tuple[type, str], tuple[str, list[str], list[tuple[list[Any], Any]]]] = {}
_READERS_LOCK = threading.Lock()


def _reader(model: type, alias: str) -> tuple[str, list[str], list[tuple[list[Any], Any]]]:
    key = (model, alias)
    reader = _READERS.get(key)
    if reader is None:
        connection = connections[alias]
        quote = connection.ops.quote_name
        fields = list(model._meta.concrete_fields)  # type: ignore[attr-defined]
        columns = ", ".join(quote(field.column) for field in fields)
        table = quote(model._meta.db_table)  # type: ignore[attr-defined]
        pk_column = quote(model._meta.pk.column)  # type: ignore[attr-defined]
        sql = f"SELECT {columns} FROM {table} WHERE {pk_column} = %s"  # noqa: S608 - the model's own names
        converters = []
        for field in fields:
            column = field.get_col(model._meta.db_table)  # type: ignore[attr-defined]
            converters.append(
                (connection.ops.get_db_converters(column) + field.get_db_converters(connection), column)
            )
        reader = (sql, [field.attname for field in fields], converters)
        with _READERS_LOCK:
            _READERS[key] = reader
    return reader


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
    sql, attnames, converters = _reader(model, alias)
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for index, (column_converters, column) in enumerate(converters):
        for converter in column_converters:
            values[index] = converter(values[index], column, connection)
    return model.from_db(alias, attnames, values)


class OTPMiddleware(DjangoOTPMiddleware):
    """django-otp's middleware (``request.user.otp_device``, ``request.user.is_verified()``), the
    device read with ``device_from_persistent_id``."""

    def _device_from_persistent_id(self, persistent_id: str):
        return device_from_persistent_id(self._normalize_persistent_id(persistent_id))
