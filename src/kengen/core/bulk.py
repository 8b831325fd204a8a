"""Set-based inserts: ``COPY`` on PostgreSQL, ``executemany``/``bulk_create`` on SQLite.

Two entry points share one writer:

- ``copy_rows(model, rows)``: rows as dicts of field attnames (``id`` included), every value
  prepared by its model field, so the schema's types and defaults are respected (the benchmark
  generator ``profiles.scale`` uses it on an otherwise empty database);
- ``insert_many(objs)``: model instances, as ``bulk_create`` but with ``COPY`` on PostgreSQL. The
  ids are taken from the table's sequence first (``nextval`` in one round trip, safe beside other
  writers) and set on the instances, so callers can refer to the new rows right away (audit
  events name them).

Neither sends signals nor calls ``save()``: callers are services that write their own audit events.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from django.db import connection, models
from django.db.models.expressions import RawSQL
from django.utils import timezone

BATCH = 5_000
M = TypeVar("M", bound=models.Model)


def _fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return list(model._meta.concrete_fields)


def _copy_sql(model: type[models.Model], fields: Sequence[models.Field[Any, Any]]) -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    return f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"


def _insert_sql(model: type[models.Model], fields: Sequence[models.Field[Any, Any]]) -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    return f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608 (model table)


def _write(model: type[models.Model], fields: Sequence[models.Field[Any, Any]], rows: Iterable[tuple]) -> int:
    """Write prepared tuples (one value per field, in order)."""
    n = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(_copy_sql(model, fields)) as copy:
                for row in rows:
                    copy.write_row(row)
                    n += 1
            return n
        sql = _insert_sql(model, fields)
        batch: list[tuple] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                cursor.executemany(sql, batch)
                n += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            n += len(batch)
    return n


def write_tuples(model: type[models.Model], attnames: Sequence[str], rows: Iterable[tuple]) -> int:
    """Insert ``rows``, tuples of database-ready values for the fields ``attnames`` (in order);
    columns not named take their database default (``id`` from its sequence)."""
    by_name = {f.attname: f for f in _fields(model)}
    return _write(model, [by_name[a] for a in attnames], rows)


def copy_rows(model: type[models.Model], rows: Iterable[dict[str, Any]]) -> int:
    """Insert ``rows`` (dicts of field attnames, ``id`` included) into ``model``'s table; missing
    fields take their default (``auto_now``: now; nullable: NULL; else ""). On PostgreSQL the id
    sequence is moved past the written ids."""
    fields = _fields(model)
    now = timezone.now()

    def prepared(row: dict[str, Any]) -> tuple:
        values = []
        for f in fields:
            if f.attname in row:
                v = row[f.attname]
            elif getattr(f, "auto_now_add", False) or getattr(f, "auto_now", False):
                v = now
            elif f.has_default():
                v = f.get_default()
            elif f.null:
                v = None
            else:
                v = ""
            values.append(f.get_db_prep_save(v, connection))
        return tuple(values)

    n = _write(model, fields, (prepared(r) for r in rows))
    if connection.vendor == "postgresql":
        table = model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT max(id) FROM {table}))",  # noqa: S608 (model table)
                [table],
            )
    return n


def take_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` new ids from the table's sequence (PostgreSQL), in one round trip."""
    if count <= 0:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, count],
        )
        return [r[0] for r in cursor.fetchall()]


_PLAIN_FIELDS = (
    models.AutoField,
    models.BigAutoField,
    models.IntegerField,
    models.CharField,
    models.TextField,
    models.BooleanField,
    models.ForeignKey,
)


def _is_plain(f: models.Field[Any, Any]) -> bool:
    if isinstance(f, (models.DateTimeField, models.GenericIPAddressField)):
        return False
    if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
        return False
    return isinstance(f, (*_PLAIN_FIELDS, models.DateField))


def insert_many(objs: Sequence[M], *, batch_size: int = BATCH) -> Sequence[M]:
    """``bulk_create(objs)`` (all of one model, none saved yet), with ``COPY`` on PostgreSQL; the
    instances get their ids either way."""
    if not objs:
        return objs
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objs, batch_size=batch_size)
        return objs
    pk = model._meta.pk
    assert pk is not None
    if any(o.pk is None for o in objs):
        for obj, new_id in zip(
            [o for o in objs if o.pk is None], take_ids(model, sum(o.pk is None for o in objs)), strict=True
        ):
            obj.pk = new_id
    fields = _fields(model)
    # COPY sends text: plain values (numbers, strings, dates, foreign keys) go as they are; the
    # others (JSON, times, auto_now) are prepared by their field, as bulk_create does.
    plain = [_is_plain(f) for f in fields]

    def prepared(obj: M) -> tuple:
        return tuple(
            getattr(obj, f.attname) if simple else f.get_db_prep_save(f.pre_save(obj, True), connection)
            for f, simple in zip(fields, plain, strict=True)
        )

    _write(model, fields, (prepared(o) for o in objs))
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs


def ids_in(ids: Sequence[int]) -> Any:
    """The right-hand side of ``field__in=`` for many integer ids: on PostgreSQL one array
    parameter (``IN (SELECT unnest(%s::bigint[]))``) instead of one placeholder per id, which
    psycopg would split with a regex on every query; elsewhere the ids themselves."""
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", (list(ids),))
    return ids


def by_pk(queryset: models.QuerySet[M], ids: Sequence[int]) -> dict[int, M]:
    """``queryset.in_bulk(ids)`` with ``ids_in``."""
    return {obj.pk: obj for obj in queryset.filter(pk__in=ids_in(ids))}
