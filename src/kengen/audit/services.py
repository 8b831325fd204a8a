"""Writing and verifying the audit log.

``audit_record`` is called by every service inside its own transaction, so an event exists exactly
when the change it describes was committed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from kengen.audit.choices import AuditAction
from kengen.audit.models import AuditChainHead, AuditEvent
from kengen.core.types import Actor

GENESIS = "0" * 64
REDACTED = "[redacted]"
#: Keys whose values are never written to the audit log, whatever the caller passes.
SECRET_KEYS = ("password", "passwd", "secret", "token", "otp", "recovery", "passphrase", "pin")


def _audit_key() -> bytes:
    key = getattr(settings, "KENGEN_AUDIT_KEY", None) or settings.SECRET_KEY
    return hashlib.sha256(b"kengen-audit-chain:" + key.encode()).digest()


def _is_secret(key: Any) -> bool:
    return any(word in str(key).lower() for word in SECRET_KEYS)


def _redact_value(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: REDACTED if _is_secret(key) else _redact_value(item) for key, item in value.items()}
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


def _canonical(event: AuditEvent) -> bytes:
    occurred = event.occurred_at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    payload = [
        event.seq,
        occurred,
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
    ]
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def compute_hash(event: AuditEvent, *, key: bytes | None = None) -> str:
    return hmac.new(key or _audit_key(), _canonical(event), hashlib.sha256).hexdigest()


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
        )
        event.hash = compute_hash(event)
        event.save(force_insert=True)
        head.last_seq = event.seq
        head.last_hash = event.hash
        head.save(update_fields=["last_seq", "last_hash"])
    return event


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str = ""


def _events() -> Iterator[AuditEvent]:
    return AuditEvent.objects.order_by("seq").iterator(chunk_size=2000)


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


def audit_verify(anchor: str | None = None) -> VerifyResult:
    """Walk the chain from the first event; report the first broken link.

    With ``anchor`` (from ``audit_anchor``), also require that event to be present and unchanged."""
    if anchor is not None:
        anchor_seq, anchor_hash = parse_anchor(anchor)
    key = _audit_key()
    prev_hash = GENESIS
    expected_seq = 1
    checked = 0
    for event in _events():
        if event.seq != expected_seq:
            return VerifyResult(
                False,
                checked,
                expected_seq,
                f"event #{expected_seq} is missing (next found is #{event.seq})",
            )
        if event.prev_hash != prev_hash:
            return VerifyResult(
                False,
                checked,
                event.seq,
                f"event #{event.seq} does not follow event #{event.seq - 1} (chain link broken)",
            )
        if not hmac.compare_digest(compute_hash(event, key=key), event.hash):
            return VerifyResult(
                False,
                checked,
                event.seq,
                f"event #{event.seq} was altered (its content does not match its hash)",
            )
        prev_hash = event.hash
        expected_seq += 1
        checked += 1
    head = AuditChainHead.objects.filter(id=1).first()
    last_seq, last_hash = (head.last_seq, head.last_hash) if head else (0, GENESIS)
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
