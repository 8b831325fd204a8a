"""Writing and verifying the audit log.

``audit_record`` is called by every service inside its own transaction, so an event exists exactly
when the change it describes was committed.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import json
import os
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone

from kengen.audit.choices import AuditAction
from kengen.audit.keys import key_ring
from kengen.audit.models import AuditChainHead, AuditEvent
from kengen.core.bulk import copy_lines, write_tuples
from kengen.core.types import Actor

GENESIS = "0" * 64
REDACTED = "[redacted]"
#: Keys whose values are never written to the audit log, whatever the caller passes.
SECRET_KEYS = ("password", "passwd", "secret", "token", "otp", "recovery", "passphrase", "pin")


def _audit_key() -> bytes:
    """The key new events are signed with."""
    return key_ring().signing_key


def _is_secret(key: Any) -> bool:
    return _is_secret_text(key if type(key) is str else str(key))


@functools.lru_cache(maxsize=4096)
def _is_secret_text(key: str) -> bool:
    # Cached: bulk writes (the HR wave) redact hundreds of thousands of payloads with few keys.
    lowered = key.lower()
    return any(word in lowered for word in SECRET_KEYS)


_PLAIN_TYPES = frozenset({str, int, float, bool, type(None), dt.date, dt.datetime})


def _redact_value(value: Any) -> Any:
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if _is_secret(key):
                out[key] = REDACTED
            elif type(item) in _PLAIN_TYPES:  # most values: no call per value
                out[key] = item
            else:
                out[key] = _redact_value(item)
        return out
    if isinstance(value, list | tuple | set | frozenset):
        return [_redact_value(item) for item in value]  # secrets hide in lists of records too
    return value


def redact(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A JSON-safe copy of ``values`` with every secret-looking key redacted, at any depth."""
    if values is None:
        return None
    return json.loads(json.dumps(_redact_value(values), cls=DjangoJSONEncoder))


def _normalized_ip(value: str | None) -> str | None:
    """The address as the database will store it (IPv6 is compressed and lower-cased), so that the
    hash computed here matches the row read back by ``audit_verify``."""
    if not value:
        return None
    return AuditEvent._meta.get_field("ip_address").get_prep_value(value)


#: Canonical forms: 1 = sorted JSON of the Python values (events written before version 2);
#: 2 = the row's fields as the database renders them (old/new as its JSON text, the time as
#: PostgreSQL's ISO UTC text), tab-separated with COPY's text escaping, key ID included. On
#: PostgreSQL that is byte for byte what ``COPY … TO STDOUT`` sends, so verification hashes the
#: bytes it receives without rebuilding anything.
CANON_JSON, CANON_FIELDS = 1, 2
CURRENT_CANON = CANON_FIELDS
NULL = "\\N"  # COPY's text for NULL, and form 2's
_NEEDS_ESCAPE = re.compile(r"[\\\b\f\n\r\t\v]")
_ESCAPES = str.maketrans(
    {"\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}
)


def _as_utc(value: Any) -> dt.datetime:
    if isinstance(value, str):  # SQLite through a raw cursor, or COPY text: UTC
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _occurred(value: Any) -> str:
    """Form 1's time: ISO 8601 with microseconds."""
    return _as_utc(value).isoformat(timespec="microseconds")


def _pg_time(value: Any) -> str:
    """Form 2's time: PostgreSQL's ISO output of a timestamptz in UTC (2024-04-01 09:30:00.5+00)."""
    t = _as_utc(value)
    text = t.strftime("%Y-%m-%d %H:%M:%S")
    if t.microsecond:
        text += f".{t.microsecond:06d}".rstrip("0")
    return text + "+00"


def _canon_json(
    seq: int,
    occurred: str,
    actor_id: int | None,
    actor_label: str,
    action: str,
    tt: str,
    tid: str,
    tl: str,
    ref: str,
    old: Any,
    new: Any,
    ip: str | None,
    prev: str,
) -> bytes:
    payload = [seq, occurred, actor_id, actor_label, action, tt, tid, tl, ref, old, new, ip, prev]
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _escaped(text: str) -> str:
    """COPY's text escaping of a long text that seldom needs any (a scan costs less than a translation)."""
    return text.translate(_ESCAPES) if _NEEDS_ESCAPE.search(text) else text


def _canon_fields(parts: tuple) -> bytes:
    return "\t".join(NULL if p is None else p.translate(_ESCAPES) for p in parts).encode()


def _db_texts(old: Any, new: Any, ip: str | None) -> tuple[str | None, str | None, str | None]:
    """old/new as the database's JSON text and the address as it prints it (form 2 covers these)."""
    if connection.vendor == "postgresql":
        if old is None and new is None and ip is None:
            return None, None, None
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT %s::jsonb::text, %s::jsonb::text, host(%s::inet)",
                [None if old is None else json.dumps(old), None if new is None else json.dumps(new), ip],
            )
            return cursor.fetchone()
    field = AuditEvent._meta.get_field("old")
    prep = [None if v is None else field.get_db_prep_save(v, connection) for v in (old, new)]
    return prep[0], prep[1], ip


def _canonical(event: AuditEvent) -> bytes:
    if getattr(event, "canon", CANON_JSON) == CANON_JSON:
        return _canon_json(
            event.seq,
            _occurred(event.occurred_at),
            event.actor_id,
            event.actor_label,
            event.action,
            event.target_type,
            event.target_id,
            event.target_label,
            event.application_ref,
            event.old,
            event.new,
            event.ip_address,
            event.prev_hash,
        )
    old, new, ip = _db_texts(event.old, event.new, event.ip_address)
    return _canon_fields(
        (
            str(event.seq),
            _pg_time(event.occurred_at),
            None if event.actor_id is None else str(event.actor_id),
            event.actor_label,
            event.action,
            event.target_type,
            event.target_id,
            event.target_label,
            event.application_ref,
            old,
            new,
            ip,
            event.prev_hash,
            str(event.key_id),
        )
    )


def compute_hash(event: AuditEvent, *, key: bytes | None = None) -> str:
    return hmac.new(
        key or key_ring().keys.get(event.key_id, b""), _canonical(event), hashlib.sha256
    ).hexdigest()


def _label(obj: Any) -> str:
    return str(obj)[:300]


def audit_record(
    *,
    actor: Actor,
    action: AuditAction,
    target: models.Model | None = None,
    target_label: str | None = None,
    old: Mapping[str, Any] | None = None,
    new: Mapping[str, Any] | None = None,
    application_ref: str = "",
    ip_address: str | None = None,
    actor_label: str | None = None,
) -> AuditEvent:
    """Append one event to the chain, in the caller's transaction."""
    ring = key_ring()
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(id=1)
        is_user = actor is not None and getattr(actor, "pk", None) is not None
        event = AuditEvent(
            seq=head.last_seq + 1,
            occurred_at=timezone.now(),
            actor=actor if is_user else None,
            actor_label=actor_label if actor_label is not None else (str(actor) if actor else "system"),
            action=action,
            target_type=target._meta.label_lower if target is not None else "",
            target_id=str(target.pk) if target is not None else "",
            target_label=target_label
            if target_label is not None
            else (_label(target) if target is not None else ""),
            application_ref=application_ref,
            old=redact(old),
            new=redact(new),
            ip_address=_normalized_ip(ip_address),
            prev_hash=head.last_hash,
            key_id=ring.signer,
            canon=CURRENT_CANON,
        )
        event.hash = compute_hash(event, key=ring.signing_key)
        event.save(force_insert=True)
        head.last_seq = event.seq
        head.last_hash = event.hash
        head.save(update_fields=["last_seq", "last_hash"])
    return event


@dataclass(frozen=True)
class EventSpec:
    """One event for ``audit_record_many``: the same fields ``audit_record`` takes."""

    action: AuditAction
    target_type: str = ""
    target_id: str = ""
    target_label: str = ""
    old: Mapping[str, Any] | None = None
    new: Mapping[str, Any] | None = None
    application_ref: str = ""
    #: Done by Kengen itself (``actor=None``, as ``grant_end(actor=None)``), not by the batch's actor.
    as_system: bool = False

    @classmethod
    def about(
        cls,
        action: AuditAction,
        target: models.Model,
        *,
        old: Mapping[str, Any] | None = None,
        new: Mapping[str, Any] | None = None,
        application_ref: str = "",
        target_label: str | None = None,
        as_system: bool = False,
    ) -> EventSpec:
        return cls(
            action=action,
            target_type=target._meta.label_lower,
            target_id=str(target.pk),
            target_label=target_label if target_label is not None else _label(target),
            old=old,
            new=new,
            application_ref=application_ref,
            as_system=as_system,
        )


#: One encoder for every bulk payload (``json.dumps(…, cls=…)`` builds one per call).
_ENCODER = DjangoJSONEncoder()


def _redacted_json(values: Mapping[str, Any] | None) -> str | None:
    """``json.dumps(redact(values))`` without the round trip through Python values."""
    if values is None:
        return None
    return _ENCODER.encode(_redact_value(values))


class _NotRendered(Exception):
    """A value ``_jsonb_text`` leaves to PostgreSQL (floats, non-string keys)."""


_quote = json.encoder.encode_basestring  # the C encoder with ensure_ascii=False: as jsonb escapes


def _jsonb_key(key: str) -> tuple[int, str]:
    # jsonb orders an object's keys by their length in bytes, then bytewise (UTF-8 sorts as code points).
    return (len(key.encode()), key)


#: Per tuple of keys (payloads of one kind share theirs): (key, its quoted ``"key": ``, secret?)
#: in jsonb's order.
_SHAPES: dict[tuple[Any, ...], tuple[tuple[str, str, bool], ...]] = {}
_QUOTED_REDACTED = _quote(REDACTED)


def _shape(keys: tuple[Any, ...]) -> tuple[tuple[str, str, bool], ...]:
    shape = _SHAPES.get(keys)
    if shape is None:
        if not all(isinstance(k, str) for k in keys):
            raise _NotRendered
        if len(_SHAPES) > 1_000:
            _SHAPES.clear()
        shape = _SHAPES[keys] = tuple(
            (k, f"{_quote(k)}: ", _is_secret_text(k)) for k in sorted(keys, key=_jsonb_key)
        )
    return shape


def _jsonb_text(value: Any) -> str:
    """``redact(value)`` as PostgreSQL renders it as ``jsonb::text`` (keys ordered by jsonb, ``", "``
    and ``": "`` separators, non-ASCII kept), computed here for the values the bulk path writes;
    raises ``_NotRendered`` for what only the database renders exactly (floats, non-string keys)."""
    kind = type(value)
    if kind is dict or (kind is not str and isinstance(value, Mapping)):
        parts = []
        for key, prefix, secret in _shape(tuple(value)):
            item = value[key]
            kind = type(item)
            if secret:
                parts.append(prefix + _QUOTED_REDACTED)
            elif kind is str:
                parts.append(prefix + _quote(item))
            elif item is None:
                parts.append(prefix + "null")
            elif kind is int:
                parts.append(prefix + int.__repr__(item))
            elif kind is dt.date:  # as DjangoJSONEncoder: its ISO form
                parts.append(f'{prefix}"{item.isoformat()}"')
            elif kind is bool:
                parts.append(prefix + ("true" if item else "false"))
            else:
                parts.append(prefix + _jsonb_text(item))
        return "{" + ", ".join(parts) + "}"
    if isinstance(value, str):
        return _quote(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, list | tuple | set | frozenset):
        return "[" + ", ".join(_jsonb_text(item) for item in value) + "]"
    if isinstance(value, float):
        raise _NotRendered
    rendered = _ENCODER.default(value)  # dates, times, decimals, UUIDs, lazy text: as the encoder does
    if not isinstance(rendered, str):
        raise _NotRendered
    return _quote(rendered)


def _event_texts(events: Sequence[EventSpec]) -> list[tuple[str | None, str | None]]:
    """Each event's old/new as the database will store and render them (form 2 covers these): on
    PostgreSQL the jsonb text, computed in Python where it can be (``_jsonb_text``) and by the
    database for the rest; elsewhere the text the JSON field stores."""
    if connection.vendor != "postgresql":
        return [(_redacted_json(e.old), _redacted_json(e.new)) for e in events]
    out: list[tuple[str | None, str | None]] = []
    left: list[int] = []
    for i, e in enumerate(events):
        try:
            out.append(
                (
                    None if e.old is None else _jsonb_text(e.old),
                    None if e.new is None else _jsonb_text(e.new),
                )
            )
        except _NotRendered:
            out.append((None, None))
            left.append(i)
    if left:
        rendered = _db_texts_many(
            [(_redacted_json(events[i].old), _redacted_json(events[i].new)) for i in left]
        )
        for i, pair in zip(left, rendered, strict=True):
            out[i] = pair
    return out


def _db_texts_many(pairs: list[tuple[str | None, str | None]]) -> list[tuple[str | None, str | None]]:
    """``_db_texts`` for many rows (old/new given as JSON text): on PostgreSQL its jsonb rendering,
    one round trip per chunk, the whole chunk sent as one JSON array (a ``text[]`` parameter costs
    more to quote than the rendering); on SQLite the text as the JSON field stores it."""
    if connection.vendor != "postgresql":
        return pairs
    out: list[tuple[str | None, str | None]] = []
    with connection.cursor() as cursor:
        for start in range(0, len(pairs), 20_000):
            chunk = pairs[start : start + 20_000]
            payload = ",".join(f"[{o or 'null'},{n or 'null'}]" for o, n in chunk)
            cursor.execute(
                "SELECT CASE WHEN jsonb_typeof(e->0) = 'null' THEN NULL ELSE (e->0)::text END, "
                "CASE WHEN jsonb_typeof(e->1) = 'null' THEN NULL ELSE (e->1)::text END "
                "FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS t(e, i) ORDER BY i",
                [f"[{payload}]"],
            )
            out.extend(cursor.fetchall())
    return out


_COPY_COLUMNS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_label",
    "action",
    "target_type",
    "target_id",
    "target_label",
    "application_ref",
    "old",
    "new",
    "prev_hash",
    "hash",
    "key_id",
    "canon",
)

#: The columns of a canonical line (form 2's fields in order), then the hash and the form.
_LINE_COLUMNS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_label",
    "action",
    "target_type",
    "target_id",
    "target_label",
    "application_ref",
    "old",
    "new",
    "ip_address",
    "prev_hash",
    "key_id",
    "hash",
    "canon",
)


def audit_record_many(
    *,
    actor: Actor,
    events: Sequence[EventSpec],
    actor_label: str | None = None,
    batch_size: int = 5_000,
    head: AuditChainHead | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Append ``events`` to the chain in order, in the caller's transaction: the set-based twin of
    ``audit_record`` for bulk writes (the HR wave). The chain head is locked once; every event is
    redacted, canonicalized (form 2) and HMAC-chained in Python exactly as ``audit_record`` does, so
    ``kengen audit verify`` cannot tell them apart. On PostgreSQL old/new are rendered as jsonb text
    in Python (``_jsonb_text``; what it cannot render exactly, the database renders) and each
    canonical line, with its hash appended, is the row in ``COPY``'s text format
    (``core.bulk.copy_lines``); on SQLite rows go by ``executemany`` (``core.bulk.write_tuples``).
    Returns the number of events written.

    A caller writing a long sequence in parts (the HR wave, chunk by chunk, in one transaction)
    passes the ``head`` it locked (``select_for_update``) once, and the same ``now`` for every part."""
    if not events:
        return 0
    ring = key_ring()
    key = ring.signing_key
    is_user = actor is not None and getattr(actor, "pk", None) is not None
    actor_id = actor.pk if is_user and actor is not None else None
    label = actor_label if actor_label is not None else (str(actor) if actor else "system")
    with transaction.atomic():
        if head is None:
            head, _ = AuditChainHead.objects.select_for_update().get_or_create(id=1)
        now = now or timezone.now()
        texts = _event_texts(events)
        occurred = _pg_time(now)
        seq, prev = head.last_seq, head.last_hash
        signer = ring.signer
        tail = f"\t{signer}"
        copy = connection.vendor == "postgresql"
        occurred_db = AuditEvent._meta.get_field("occurred_at").get_db_prep_save(now, connection)
        system = (NULL, "system")
        user = (NULL if actor_id is None else str(actor_id), label.translate(_ESCAPES))
        lines: list[str] = []
        tuples: list[tuple] = []
        for spec, (old_text, new_text) in zip(events, texts, strict=True):
            seq += 1
            target_label = spec.target_label[:300]
            who, who_label = system if spec.as_system else user
            # _canon_fields of the row (form 2), built in one go: only the free texts can need
            # escaping; the action, target type, numbers, time and hashes never do.
            old_c = NULL if old_text is None else _escaped(old_text)
            new_c = NULL if new_text is None else _escaped(new_text)
            canon = (
                f"{seq}\t{occurred}\t{who}\t{who_label}\t{spec.action!s}\t{spec.target_type}\t"
                f"{spec.target_id.translate(_ESCAPES)}\t{target_label.translate(_ESCAPES)}\t"
                f"{spec.application_ref.translate(_ESCAPES)}\t{old_c}\t{new_c}\t{NULL}\t{prev}{tail}"
            )
            digest = hmac.digest(key, canon.encode(), "sha256").hex()
            if copy:
                # The canonical line is the row in COPY's text format (its columns, then the hash).
                lines.append(f"{canon}\t{digest}\t{CURRENT_CANON}\n")
            else:
                tuples.append(
                    (
                        seq,
                        occurred_db,
                        None if spec.as_system else actor_id,
                        "system" if spec.as_system else label,
                        str(spec.action),
                        spec.target_type,
                        spec.target_id,
                        target_label,
                        spec.application_ref,
                        old_text,
                        new_text,
                        prev,
                        digest,
                        signer,
                        CURRENT_CANON,
                    )
                )
            prev = digest
            if len(lines) >= batch_size:
                copy_lines(AuditEvent._meta.db_table, _LINE_COLUMNS, lines)
                lines = []
            if len(tuples) >= batch_size:
                write_tuples(AuditEvent, _COPY_COLUMNS, tuples)
                tuples = []
        if lines:
            copy_lines(AuditEvent._meta.db_table, _LINE_COLUMNS, lines)
        if tuples:
            write_tuples(AuditEvent, _COPY_COLUMNS, tuples)
        head.last_seq, head.last_hash = seq, prev
        head.save(update_fields=["last_seq", "last_hash"])
    return len(events)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str = ""


def audit_anchor() -> str:
    """The chain head as ``seq:hash``, to be kept outside the database (printed, mailed to the
    auditor, written to write-once storage). A later ``audit_verify(anchor=…)`` proves that the log
    still contains that event unchanged, which the chain alone cannot: whoever can write the
    database could cut off the newest events and rewind the head."""
    head = AuditChainHead.objects.filter(id=1).first()
    return f"{head.last_seq}:{head.last_hash}" if head else f"0:{GENESIS}"


def parse_anchor(anchor: str) -> tuple[int, str]:
    seq, _, digest = anchor.strip().partition(":")
    if not seq.isdigit() or len(digest) != 64:
        raise ValueError(f"not an audit anchor (expected SEQ:HASH): {anchor!r}")
    return int(seq), digest


# The fields of canonical form 2, in order, as SQL: what COPY sends after the bookkeeping columns.
_FIELDS = (
    "seq, occurred_at, actor_id, actor_label, action, target_type, target_id, target_label, "
    "application_ref, old, new, {ip}, prev_hash, key_id"
)
_COPY_SQL = (
    "COPY (SELECT seq, prev_hash, hash, key_id, canon, " + _FIELDS.format(ip="host(ip_address)") + " "
    "FROM audit_auditevent WHERE seq >= {first} ORDER BY seq{limit}) TO STDOUT"
)
_SQLITE_SQL = (
    "SELECT seq, prev_hash, hash, key_id, canon, " + _FIELDS.format(ip="ip_address") + " "
    "FROM audit_auditevent WHERE seq >= %s ORDER BY seq"
)


@dataclass
class _Range:
    """What one worker found walking ``first``…``last`` (``last`` None: to the end)."""

    first: int
    found_first: int | None = None  # seq of the first row read
    first_prev: str = ""
    last_hash: str = ""
    checked: int = 0
    broken_seq: int | None = None
    reason: str = ""
    next_seq: int | None = None  # first seq past the range (None: none)


_COPY_ESCAPE = re.compile(r"\\(.)")
_COPY_CHARS = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def _unescape(raw: str) -> str | None:
    """One field of COPY's text format: ``\\N`` is NULL, backslash escapes undone."""
    if raw == "\\N":
        return None
    if "\\" not in raw:
        return raw
    return _COPY_ESCAPE.sub(lambda m: _COPY_CHARS.get(m.group(1), m.group(1)), raw)


def _legacy(fields: list) -> bytes:
    """Form 1 rebuilt from the 14 fields (text, or SQLite's typed values)."""
    _seq, occurred, actor_id, actor_label, action, tt, tid, tl, ref, old, new, ip, prev, _key = fields
    return _canon_json(
        int(_seq),
        _occurred(occurred),
        None if actor_id is None else int(actor_id),
        actor_label,
        action,
        tt,
        tid,
        tl,
        ref,
        None if old is None else json.loads(old),
        None if new is None else json.loads(new),
        ip,
        prev,
    )


def _rows(first: int, last: int | None, fetch: int = 20_000) -> Iterator[tuple]:
    """``(seq, prev_hash, hash, key_id, canonical bytes)`` from ``first`` on, in order, without the
    ORM, plus the first row past ``last`` so a gap at the end of a range is named like anywhere
    else. PostgreSQL: ``COPY … TO STDOUT``, whose text of a form-2 row *is* its canonical form."""
    from django.db import connection as conn

    conn.ensure_connection()
    if conn.vendor == "postgresql":
        limit = "" if last is None else f" LIMIT {int(last) - int(first) + 2}"
        with (
            transaction.atomic(),
            conn.connection.cursor() as cur,  # type: ignore[union-attr]
        ):
            # Form 2's time is PostgreSQL's ISO output in UTC, whatever the server's defaults.
            cur.execute("SET LOCAL TimeZone = 'UTC'")
            cur.execute("SET LOCAL DateStyle = 'ISO, YMD'")
            with cur.copy(_COPY_SQL.format(first=int(first), limit=limit)) as copy:
                rest = b""
                for block in copy:  # usually one row per block; split in case it is not
                    lines = (rest + bytes(block)).split(b"\n")
                    rest = lines.pop()
                    for line in lines:
                        seq, prev, stored, key_id, canon, canonical = line.split(b"\t", 5)
                        if int(canon) != CANON_FIELDS:
                            fields = [_unescape(f) for f in canonical.decode().split("\t")]
                            canonical = _legacy(fields)
                        yield int(seq), prev.decode(), stored.decode(), int(key_id), canonical
        return
    with conn.cursor() as cur:
        cur.execute(_SQLITE_SQL, [first])
        while batch := cur.fetchmany(fetch):
            for row in batch:
                seq, prev, stored, key_id, canon = row[:5]
                fields = list(row[5:])
                if canon == CANON_FIELDS:
                    fields[1] = _pg_time(fields[1])
                    message = _canon_fields(tuple(None if v is None else str(v) for v in fields))
                else:
                    message = _legacy(fields)
                yield seq, prev, stored, key_id, message
                if last is not None and seq > last:
                    return


def _verify_range(first: int, last: int | None, keys: dict[int, bytes], prev_hash: str | None) -> _Range:
    """Check rows ``first``…``last``: sequence, links, HMACs. ``prev_hash`` None: the link into
    ``first`` is checked by whoever merges the ranges."""
    r = _Range(first)
    expected = first
    mac, compare = hmac.digest, hmac.compare_digest  # one-shot C HMAC: no object per row
    for seq, prev, stored, key_id, message in _rows(first, last):
        if last is not None and seq > last:
            r.next_seq = seq
            break
        if r.found_first is None:
            r.found_first, r.first_prev = seq, prev
            if prev_hash is None:
                prev_hash = prev
        if seq != expected:
            r.broken_seq, r.reason = expected, f"event #{expected} is missing (next found is #{seq})"
            return r
        if prev != prev_hash:
            r.broken_seq = seq
            r.reason = f"event #{seq} does not follow event #{seq - 1} (chain link broken)"
            return r
        key = keys.get(key_id)
        if key is None:
            r.broken_seq = seq
            r.reason = f"event #{seq} was signed with audit key {key_id}, which is not in the key ring"
            return r
        if not compare(mac(key, message, "sha256").hex(), stored):
            r.broken_seq = seq
            r.reason = f"event #{seq} was altered (its content does not match its hash)"
            return r
        prev_hash = stored
        expected += 1
        r.checked += 1
    r.last_hash = prev_hash or ""
    return r


def _verify_worker(args: tuple) -> _Range:
    from django.db import connections

    connections.close_all()  # a fresh connection in this process (never the parent's socket)
    try:
        return _verify_range(*args)
    finally:
        connections.close_all()


#: Below this many events one process is faster than starting others.
PARALLEL_FROM = 200_000


def _ranges(last_seq: int, parts: int) -> list[tuple[int, int | None]]:
    size = -(-last_seq // parts)
    bounds = [(1 + i * size, min(last_seq, (i + 1) * size)) for i in range(parts)]
    bounds = [b for b in bounds if b[0] <= b[1]] or [(1, 0)]
    return [(a, b) for a, b in bounds[:-1]] + [(bounds[-1][0], None)]


def audit_verify(anchor: str | None = None, *, workers: int | None = None) -> VerifyResult:
    """Walk the chain from the first event; report the first broken link.

    Rows are read without the ORM (COPY on PostgreSQL) and checked in ranges, in parallel
    across cores for long logs (each row stores its predecessor's hash, so ranges are independent;
    the links between them are checked when the results are merged). The first broken link is
    named exactly as a single walk would name it.

    With ``anchor`` (from ``audit_anchor``), also require that event to be present and unchanged."""
    if anchor is not None:
        anchor_seq, anchor_hash = parse_anchor(anchor)
    keys = dict(key_ring().keys)
    head = AuditChainHead.objects.filter(id=1).first()
    last_seq, last_hash = (head.last_seq, head.last_hash) if head else (0, GENESIS)
    if workers is None:
        workers = (os.cpu_count() or 1) if last_seq >= PARALLEL_FROM else 1
    # Worker processes are forked: only from a single-threaded process (the ``kengen audit verify``
    # command), never from a threaded web server, and never inside a transaction (they would not
    # see its rows). Otherwise the same ranges are checked one after another here.
    parallel = workers > 1 and not connection.in_atomic_block and threading.active_count() == 1
    ranges = _ranges(max(last_seq, 1), max(1, workers))  # in one process inside a transaction
    if parallel:
        import multiprocessing

        connection.close()  # children must not share the parent's connection
        with multiprocessing.get_context("fork").Pool(len(ranges)) as pool:
            results = pool.map(_verify_worker, [(a, b, keys, None) for a, b in ranges])
    else:
        results = [_verify_range(a, b, keys, None) for a, b in ranges]

    checked, prev_hash = 0, GENESIS
    for r in results:
        if r.found_first is None:
            break  # nothing from here on: the tail check below names it
        if r.broken_seq is not None and r.broken_seq == r.first and r.found_first != r.first:
            return VerifyResult(False, checked, r.broken_seq, r.reason)  # the range's first row is missing
        if r.first_prev != prev_hash:
            return VerifyResult(
                False,
                checked,
                r.found_first,
                f"event #{r.found_first} does not follow event #{r.found_first - 1} (chain link broken)",
            )
        if r.broken_seq is not None:
            return VerifyResult(False, checked + r.checked, r.broken_seq, r.reason)
        checked += r.checked
        prev_hash = r.last_hash
        if r.next_seq is not None and r.next_seq != r.first + r.checked:
            nxt = r.first + r.checked
            return VerifyResult(False, checked, nxt, f"event #{nxt} is missing (next found is #{r.next_seq})")
    if last_seq != checked or last_hash != prev_hash:
        return VerifyResult(
            False,
            checked,
            checked + 1 if last_seq > checked else last_seq,
            f"the log ends at #{checked} but the chain head records #{last_seq}"
            " (events were removed from or added to the end)",
        )
    if anchor is not None and anchor_seq > 0:
        kept = AuditEvent.objects.filter(seq=anchor_seq).values_list("hash", flat=True).first()
        if kept is None:
            return VerifyResult(
                False,
                checked,
                checked + 1,
                f"anchored event #{anchor_seq} is gone: the log was cut back to #{checked}",
            )
        if not hmac.compare_digest(kept, anchor_hash):
            return VerifyResult(False, checked, anchor_seq, f"anchored event #{anchor_seq} was rewritten")
    return VerifyResult(True, checked)
