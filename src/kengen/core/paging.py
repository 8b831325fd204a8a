"""Lists that page in the database (CONVENTIONS 14): keyset cursors, capped counts, streaming.

A :class:`Listing` is a queryset with a *total* order (the last key must be unique, usually ``pk``).
A page is ``WHERE <keys after the cursor> ORDER BY <keys> LIMIT n``: the database walks an index
from the cursor, so page 900 costs what page 1 costs. ``OFFSET`` stays available for clients that
ask for it (the API's ``offset``, the UI's ``?page=N``); it returns the same rows in the same order.

A listing may be *partitioned* on its leading keys when they come from a small table joined in
(the management file is ordered by the system's ``sort_order`` first, a column no index on grants
can serve): each partition is then a separate indexed query, walked in order until the page is full.

Cursors are opaque, signed strings: a tampered or foreign cursor is refused (``RuleViolation``),
never turned into SQL. They carry the keys of the row to continue from, the direction and the
page number (for "page N" in the UI).
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core import signing
from django.db.models import F, Model, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.utils.translation import gettext as _

from kengen.core.exceptions import RuleViolation

#: Counts stop here unless the caller needs the exact figure (an export's audit event does).
COUNT_CAP = 10_000
_SALT = "kengen.paging.cursor"


@dataclass(frozen=True)
class Key:
    """One ordering key: a field path (``account__user_id``), its direction and where NULLs go.

    By default NULLs sort last ascending and first descending (PostgreSQL's default, so a plain
    B-tree index serves both directions); SQLite is told so explicitly."""

    path: str
    desc: bool = False
    nullable: bool = False
    nulls_first: bool | None = None  # None: the default for the direction

    @property
    def nulls_go_first(self) -> bool:
        return self.desc if self.nulls_first is None else self.nulls_first

    def reversed(self) -> Key:
        return Key(self.path, not self.desc, self.nullable, not self.nulls_go_first)

    def order_by(self) -> OrderBy:
        expr = F(self.path)
        if not self.nullable:
            return expr.desc() if self.desc else expr.asc()
        if self.nulls_go_first:
            return expr.desc(nulls_first=True) if self.desc else expr.asc(nulls_first=True)
        return expr.desc(nulls_last=True) if self.desc else expr.asc(nulls_last=True)

    def after_q(self, value: Any) -> Q:
        """Rows strictly after ``value`` on this key."""
        if value is None:  # NULLs first: every value comes after; NULLs last: nothing does
            return Q(**{f"{self.path}__isnull": False}) if self.nulls_go_first else Q(pk__in=[])
        q = Q(**{f"{self.path}__{'lt' if self.desc else 'gt'}": value})
        if self.nullable and not self.nulls_go_first:
            q |= Q(**{f"{self.path}__isnull": True})
        return q

    def equal_q(self, value: Any) -> Q:
        return Q(**{f"{self.path}__isnull": True}) if value is None else Q(**{self.path: value})


def keys_from_order(model: type[Model], order: Sequence[str | Key]) -> list[Key]:
    """``["system__sort_order", "-valid_to", "pk"]`` → keys with nullability read from the model
    (a :class:`Key` given as such is kept, with its nullability read from the model)."""
    keys = []
    for item in order:
        if isinstance(item, Key):
            keys.append(Key(item.path, item.desc, _nullable(model, item.path), item.nulls_first))
            continue
        desc = item.startswith("-")
        path = item.lstrip("-")
        keys.append(Key(path, desc, _nullable(model, path)))
    return keys


def _nullable(model: type[Model], path: str) -> bool:
    nullable = False
    opts = model._meta
    parts = path.split("__")
    for i, part in enumerate(parts):
        f = opts.pk if part == "pk" else opts.get_field(part)
        nullable = nullable or bool(getattr(f, "null", False))
        if i < len(parts) - 1:
            opts = f.related_model._meta  # type: ignore[union-attr]
    return nullable


def keyset_q(keys: Sequence[Key], values: Sequence[Any]) -> Q:
    """Rows after ``values`` in the order ``keys``: (k0 > v0) or (k0 = v0 and k1 > v1) or …

    The leading key's bound is repeated on its own (``k0 >= v0``) so the database can start an
    index range scan there instead of filtering every row."""
    q = Q(pk__in=[])
    equal = Q()
    for key, value in zip(keys, values, strict=True):
        q |= equal & key.after_q(value)
        equal &= key.equal_q(value)
    lead, v0 = keys[0], values[0]
    return (lead.after_q(v0) | lead.equal_q(v0)) & q


def _encode(value: Any) -> list:
    if value is None:
        return ["n", None]
    if isinstance(value, bool):
        return ["b", value]
    if isinstance(value, int):
        return ["i", value]
    if isinstance(value, dt.datetime):
        return ["t", value.isoformat()]
    if isinstance(value, dt.date):
        return ["d", value.isoformat()]
    if isinstance(value, decimal.Decimal):
        return ["m", str(value)]
    return ["s", str(value)]


def _decode(item: list) -> Any:
    kind, value = item
    if kind == "t":
        return dt.datetime.fromisoformat(value)
    if kind == "d":
        return dt.date.fromisoformat(value)
    if kind == "m":
        return decimal.Decimal(value)
    return value


@dataclass(frozen=True)
class Cursor:
    values: tuple
    backwards: bool = False  # True: the rows *before* ``values``
    page: int = 1  # the page number this cursor leads to

    def encode(self, signature: str) -> str:
        payload = {
            "s": signature,
            "v": [_encode(v) for v in self.values],
            "b": self.backwards,
            "p": self.page,
        }
        return signing.dumps(payload, salt=_SALT, compress=True)

    @classmethod
    def decode(cls, token: str, signature: str) -> Cursor:
        try:
            payload = signing.loads(token, salt=_SALT)
            if payload["s"] != signature:
                raise ValueError("cursor of another list")
            return cls(tuple(_decode(v) for v in payload["v"]), bool(payload["b"]), max(1, int(payload["p"])))
        except (signing.BadSignature, ValueError, KeyError, TypeError) as exc:
            raise RuleViolation(_("This page link is not valid for this list."), field="cursor") from exc


@dataclass
class Page:
    items: list
    number: int
    has_next: bool
    has_previous: bool
    next_cursor: str | None = None
    previous_cursor: str | None = None


@dataclass
class Listing:
    """A queryset with a total order, paged by keyset (``page``), by offset (``offset_page``),
    counted with a cap (``count``) and streamed in chunks (``iterate``).

    ``partitions``: optional ``[(key values, Q), …]`` in order; each partition covers rows whose
    first ``len(key values)`` keys equal those values and is fetched with its own query.
    ``to_out``: maps the model instances of one page (a list) to what the page shows.
    """

    queryset: QuerySet
    order: Sequence[str | Key]
    to_out: Callable[[list], list] | None = None
    partitions: Sequence[tuple[tuple, Q]] | None = None
    keys: list[Key] = field(init=False)

    def __post_init__(self) -> None:
        self.keys = keys_from_order(self.queryset.model, self.order)
        self._annotations = {f"_k{i}": F(k.path) for i, k in enumerate(self.keys)}

    @property
    def signature(self) -> str:
        return hashlib.sha256(f"{self.queryset.model._meta.label}|{self.keys}".encode()).hexdigest()[:16]

    def _out(self, objs: list) -> list:
        return self.to_out(objs) if self.to_out else objs

    def _values(self, obj: Any) -> tuple:
        if isinstance(obj, tuple):  # a values row: the keys come last
            return obj[-len(self._annotations) :]
        return tuple(getattr(obj, name) for name in self._annotations)

    def cursor(self, token: str | None) -> Cursor | None:
        return Cursor.decode(token, self.signature) if token else None

    # --- keyset -----------------------------------------------------------------------------

    def _fetch(
        self, after: tuple | None, n: int, backwards: bool, values: Sequence[str] | None = None
    ) -> list:
        """Up to ``n`` rows after ``after`` (or from the start), walking backwards if asked;
        with ``values``, tuples of those fields (then the keys) instead of model instances."""
        keys = [k.reversed() for k in self.keys] if backwards else self.keys
        base = self.queryset.annotate(**self._annotations)
        if values is not None:
            base = base.values_list(*values, *self._annotations)
        if not self.partitions:
            qs = base if after is None else base.filter(keyset_q(keys, after))
            return list(qs.order_by(*[k.order_by() for k in keys])[:n])
        width = len(self.partitions[0][0])
        parts = list(reversed(self.partitions)) if backwards else list(self.partitions)
        if after is not None:
            here = tuple(after[:width])
            sort = [(k.desc, k.nulls_go_first) for k in keys[:width]]
            parts = [p for p in parts if not _before(p[0], here, sort)]
        rows: list = []
        inner = keys[width:]
        for part_values, part_q in parts:
            qs = base.filter(part_q)
            if after is not None and tuple(part_values) == tuple(after[:width]):
                qs = qs.filter(keyset_q(inner, after[width:]))
            rows.extend(qs.order_by(*[k.order_by() for k in inner])[: n - len(rows)])
            if len(rows) >= n:
                break
        return rows

    def page(self, cursor: Cursor | None = None, *, limit: int, last: bool = False) -> Page:
        """The page after (or before) ``cursor``; the first page without one; the last if ``last``."""
        backwards = last or (cursor is not None and cursor.backwards)
        after = cursor.values if cursor else None
        rows = self._fetch(after, limit + 1, backwards)
        more = len(rows) > limit
        rows = rows[:limit]
        number = cursor.page if cursor else 1
        if backwards:
            rows.reverse()
            has_next, has_previous = (cursor is not None and not last), more
        else:
            has_next, has_previous = more, cursor is not None
        if last:
            number = 0  # unknown without counting; the caller may work it out
        page = Page(self._out(rows), number, has_next, has_previous)
        if rows and has_next:
            page.next_cursor = Cursor(self._values(rows[-1]), False, number + 1 if number else 0).encode(
                self.signature
            )
        if rows and has_previous:
            page.previous_cursor = Cursor(self._values(rows[0]), True, max(number - 1, 0)).encode(
                self.signature
            )
        return page

    # --- offset, count, stream --------------------------------------------------------------

    def ordered(self) -> QuerySet:
        return self.queryset.order_by(*[k.order_by() for k in self.keys])

    def offset_page(self, offset: int, limit: int) -> Page:
        """Rows ``offset`` to ``offset + limit`` (the database still skips ``offset`` rows)."""
        rows = list(self.ordered().annotate(**self._annotations)[offset : offset + limit + 1])
        more = len(rows) > limit
        rows = rows[:limit]
        page = Page(self._out(rows), offset // limit + 1, more, offset > 0)
        if rows and more:
            page.next_cursor = Cursor(self._values(rows[-1]), False, page.number + 1).encode(self.signature)
        return page

    def count(self, cap: int | None = COUNT_CAP) -> tuple[int, bool]:
        """``(n, exact)``: the exact count up to ``cap`` rows, else ``(cap, False)``."""
        qs = self.queryset.order_by()
        if cap is None:
            return qs.count(), True
        n = qs[: cap + 1].count()
        return (n, True) if n <= cap else (cap, False)

    def iterate(self, chunk: int = 2000, *, values: Sequence[str] | None = None) -> Iterator:
        """Every row in order, ``chunk`` rows per query (memory stays bounded). With ``values``:
        tuples of those fields, not passed through ``to_out`` (exports: no model instances)."""
        after = None
        while True:
            rows = self._fetch(after, chunk, False, values)
            if not rows:
                return
            yield from (rows if values is not None else self._out(rows))
            if len(rows) < chunk:
                return
            after = self._values(rows[-1])


def _before(values: tuple, here: tuple, sort: list[tuple[bool, bool]]) -> bool:
    """Whether partition ``values`` comes strictly before ``here`` in the walk's order."""
    for v, h, (desc, nulls_first) in zip(values, here, sort, strict=True):
        if v == h:
            continue
        if v is None or h is None:
            return (v is None) if nulls_first else (h is None)
        return (v > h) if desc else (v < h)
    return False


def order_of(queryset: QuerySet) -> list[str]:
    """The queryset's own order (``order_by`` or the model's ``Meta.ordering``) made total by a
    final ``pk``: a plain queryset returned by an API list keeps its order when paged by cursor."""
    order = [
        o for o in (queryset.query.order_by or queryset.model._meta.ordering or []) if isinstance(o, str)
    ]
    pk_names = {"pk", "-pk", "id", "-id", queryset.model._meta.pk.name, f"-{queryset.model._meta.pk.name}"}
    if not order or order[-1] not in pk_names:
        order.append("-pk" if order and order[-1].startswith("-") else "pk")
    return order


# --- the API: ``?limit=&offset=`` as before, ``?cursor=`` for pages that cost the same anywhere ---

from ninja import Field, Schema  # noqa: E402
from ninja.pagination import PaginationBase  # noqa: E402


class KeysetPagination(PaginationBase):
    """django-ninja pagination over a :class:`Listing` (or a plain queryset ordered by ``pk``).

    ``cursor`` (from ``next_cursor``/``previous_cursor``) pages by keyset; without it ``offset``
    pages as ``LimitOffsetPagination`` did. ``count`` is exact up to 10,000 rows; beyond that it
    is 10,000 and ``count_exact`` is false."""

    class Input(Schema):
        limit: int = Field(100, ge=1, le=1000)
        offset: int = Field(0, ge=0, le=10_000_000)
        cursor: str | None = Field(None, max_length=2000)

    class Output(Schema):
        items: list[Any]
        count: int
        count_exact: bool = True
        next_cursor: str | None = None
        previous_cursor: str | None = None

    def paginate_queryset(self, queryset: Any, pagination: Any, request: Any, **params: Any) -> Any:
        listing = queryset if isinstance(queryset, Listing) else Listing(queryset, order_of(queryset))
        count, exact = listing.count()
        if pagination.cursor or not pagination.offset:
            page = listing.page(listing.cursor(pagination.cursor), limit=pagination.limit)
            return {
                "items": page.items,
                "count": count,
                "count_exact": exact,
                "next_cursor": page.next_cursor,
                "previous_cursor": page.previous_cursor,
            }
        page = listing.offset_page(pagination.offset, pagination.limit)
        return {
            "items": page.items,
            "count": count,
            "count_exact": exact,
            "next_cursor": page.next_cursor,
            "previous_cursor": None,
        }
