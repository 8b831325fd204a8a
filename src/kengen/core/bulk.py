"""Set-based inserts: ``COPY`` on PostgreSQL, ``executemany``/``bulk_create`` on SQLite.

- ``write_rows(table, columns, rows)``: plain tuples of database values (the benchmark generator
  ``profiles.scale`` and reconciliation's findings use it);
- ``write_tuples(model, attnames, rows)``: the same, named by a model's fields;
- ``insert_rows(model, attnames, rows)``: tuples for new rows, returning their ids;
- ``copy_lines(table, columns, lines)``: lines already in ``COPY``'s text format (audit events on
  PostgreSQL: their canonical form is that text);
- ``insert_many(objs)``: model instances, as ``bulk_create`` but with ``COPY`` on PostgreSQL. The
  ids are taken from the table's sequence first (``nextval`` in one round trip, safe beside other
  writers) and set on the instances, so callers can refer to the new rows right away (audit
  events name them).

None sends signals or calls ``save()``: callers are services that write their own audit events.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import islice
from typing import Any, TypeVar

from django.db import connection, models
from django.db.models.expressions import RawSQL

BATCH = 5_000
M = TypeVar("M", bound=models.Model)


def _fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return list(model._meta.concrete_fields)


def _columns(fields: Sequence[models.Field[Any, Any]]) -> list[str]:
    return [str(f.column) for f in fields]


def write_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert ``rows``, tuples of database-ready values for ``columns`` (in order), into ``table``:
    ``COPY`` on PostgreSQL, one prepared ``INSERT`` run by ``executemany`` in batches elsewhere.
    The caller owns the transaction."""
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    n = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    n += 1
            return n
        marks = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})"  # noqa: S608 (a model's table)
        it = iter(rows)
        while batch := list(islice(it, BATCH)):
            cursor.executemany(sql, batch)
            n += len(batch)
    return n


def copy_lines(table: str, columns: Sequence[str], lines: Iterable[str]) -> None:
    """PostgreSQL only: ``COPY table (columns) FROM STDIN`` of lines already in COPY's text format
    (tab-separated, ``\\N`` for NULL, backslash escapes, each ending in a newline) — for callers
    that build that text anyway (the audit chain's canonical form is it)."""
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy,
    ):
        copy.write("".join(lines))


def _write(model: type[models.Model], fields: Sequence[models.Field[Any, Any]], rows: Iterable[tuple]) -> int:
    """Write prepared tuples (one value per field, in order)."""
    return write_rows(model._meta.db_table, _columns(fields), rows)


def write_tuples(model: type[models.Model], attnames: Sequence[str], rows: Iterable[tuple]) -> int:
    """Insert ``rows``, tuples of database-ready values for the fields ``attnames`` (in order);
    columns not named take their database default (``id`` from its sequence)."""
    by_name = {f.attname: f for f in _fields(model)}
    return _write(model, [by_name[a] for a in attnames], rows)


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


def insert_rows(model: type[models.Model], attnames: Sequence[str], rows: Sequence[tuple]) -> list[int]:
    """``write_tuples`` for new rows that need their ids (in order), without a model instance per
    row: on PostgreSQL the ids come from the table's sequence (``take_ids``); elsewhere (SQLite, one
    writer at a time) they follow the table's highest id. Every non-null column must be named."""
    if not rows:
        return []
    if connection.vendor == "postgresql":
        ids = take_ids(model, len(rows))
    else:
        table = connection.ops.quote_name(model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 (a model's table)
            first = cursor.fetchone()[0] + 1
        ids = list(range(first, first + len(rows)))
    write_tuples(model, ("id", *attnames), ((i, *row) for i, row in zip(ids, rows, strict=True)))
    return ids


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
