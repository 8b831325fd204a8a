"""Writing many rows at once, below the ORM: plain tuples of database values, ``COPY`` on
PostgreSQL and one prepared ``INSERT`` run by ``executemany`` on SQLite. For set-based writes of
services (reconciliation findings) and for generated benchmark data; the caller owns the
transaction and has prepared every value for the database."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import islice
from typing import Any

from django.db import connection


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """PostgreSQL ``COPY table (columns) FROM STDIN`` of plain tuples (database values)."""
    n = 0
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    sql = f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


def executemany_rows(
    table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], batch_size: int = 50000
) -> int:
    """SQLite: one prepared ``INSERT`` run by ``executemany`` over large batches of plain tuples."""
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
    n = 0
    with connection.cursor() as cursor:
        it = iter(rows)
        while batch := list(islice(it, batch_size)):
            cursor.executemany(sql, batch)
            n += len(batch)
    return n


def write_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert plain tuples of database values: ``COPY`` on PostgreSQL, ``executemany`` elsewhere."""
    if connection.vendor == "postgresql":
        return copy_rows(table, columns, rows)
    return executemany_rows(table, columns, rows)
