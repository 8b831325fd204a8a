"""Model instances from plain SELECTs, for the few reads every request makes.

The ORM spends more Python compiling a one-row query than the database spends answering it. For
the reads each signed-in request repeats (the second-factor device, the user and their person) the
SQL is written once per model and database, and the instance is built the way the ORM builds it:
the model's concrete columns in order, each value through the backend's and the field's converters
(booleans and dates on SQLite, JSON, …), then ``Model.from_db`` (so ``_state`` says "from the
database", and saving it updates the row).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from django.db import connections

_LOCK = threading.Lock()
_READERS: dict[tuple[type, str, str], ModelColumns] = {}


@dataclass(frozen=True)
class ModelColumns:
    """A model's concrete columns as a SELECT list under a table alias, and how to build the
    instance from their values."""

    model: Any
    alias: str  # the database alias
    sql: str  # "t.col1, t.col2, …"
    attnames: list[str]
    converters: list[tuple[list[Any], Any]]

    def build(self, values: list[Any] | tuple[Any, ...]) -> Any:
        connection = connections[self.alias]
        values = list(values)
        for index, (column_converters, column) in enumerate(self.converters):
            for converter in column_converters:
                values[index] = converter(values[index], column, connection)
        return self.model.from_db(self.alias, self.attnames, values)

    def __len__(self) -> int:
        return len(self.attnames)


def model_columns(model: Any, alias: str, table_alias: str) -> ModelColumns:
    """``ModelColumns`` for ``model`` on database ``alias`` with the table named ``table_alias`` in
    the query (kept per process)."""
    key = (model, alias, table_alias)
    reader = _READERS.get(key)
    if reader is None:
        connection = connections[alias]
        quote = connection.ops.quote_name
        fields = list(model._meta.concrete_fields)
        converters = []
        for field in fields:
            column = field.get_col(model._meta.db_table)
            converters.append(
                (connection.ops.get_db_converters(column) + field.get_db_converters(connection), column)
            )
        reader = ModelColumns(
            model=model,
            alias=alias,
            sql=", ".join(f"{quote(table_alias)}.{quote(field.column)}" for field in fields),
            attnames=[field.attname for field in fields],
            converters=converters,
        )
        with _LOCK:
            _READERS[key] = reader
    return reader
