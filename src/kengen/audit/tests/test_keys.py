"""The audit key ring: a key of its own (not the secret key, not in the data directory), rotation,
and chains written before audit keys existed still verifying; verification in ranges."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection

from kengen.audit.choices import AuditAction
from kengen.audit.keys import LEGACY_KEY_ID, key_ring, read_file
from kengen.audit.models import AuditChainHead, AuditEvent
from kengen.audit.services import audit_record, audit_verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def keyring(settings, tmp_path):
    settings.KENGEN_AUDIT_KEYRING = str(tmp_path / "etc" / "audit-keys")
    return tmp_path / "etc" / "audit-keys"


def test_without_an_audit_key_events_are_signed_with_the_legacy_key(world):
    event = audit_record(actor=None, action=AuditAction.EXPORT, target_label="x")

    assert event.key_id == LEGACY_KEY_ID
    assert audit_verify().ok


def test_the_audit_key_from_the_environment_signs_new_events_and_old_ones_need_the_ring(world, settings):
    before = AuditEvent.objects.count()
    settings.KENGEN_AUDIT_KEY = "a separate audit key"
    settings.KENGEN_AUDIT_KEY_ID = 3

    event = audit_record(actor=None, action=AuditAction.EXPORT, target_label="x")

    assert event.key_id == 3
    result = audit_verify()  # the legacy key is not in the ring any more: named, not guessed
    assert result.broken_seq == 1
    assert "audit key 0" in result.reason
    assert before > 0


def test_the_audit_key_must_differ_from_the_secret_key(world, settings):
    settings.KENGEN_AUDIT_KEY = settings.SECRET_KEY

    with pytest.raises(ImproperlyConfigured, match="differ from the secret key"):
        key_ring()


def test_the_key_ring_may_not_live_in_the_data_directory(world, settings):
    settings.KENGEN_AUDIT_KEYRING = str(settings.DATA_DIR / "audit-keys")

    with pytest.raises(ImproperlyConfigured, match="outside KENGEN_DATA_DIR"):
        key_ring()


def test_rotation_keeps_the_whole_chain_verifiable_and_signs_new_events_with_the_new_key(
    world, keyring, settings
):
    out = io.StringIO()

    call_command("audit_rotate_key", stdout=out)

    assert "audit key 1 added" in out.getvalue()
    assert sorted(read_file(keyring)) == [0, 1]
    assert oct(keyring.stat().st_mode & 0o777) == "0o600"
    rotated = AuditEvent.objects.order_by("-seq").first()
    assert rotated.action == AuditAction.AUDIT_KEY_ROTATED
    assert rotated.key_id == 1
    assert rotated.new == {"key_id": 1}  # the key ID, never the key
    assert read_file(keyring)[1].hex() not in str(AuditEvent.objects.values_list("new", flat=True)[:1000])
    # the secret key may now change: the legacy key lives in the ring file
    settings.SECRET_KEY = "a new secret key, moved to the environment"
    call_command("audit_rotate_key", stdout=io.StringIO())
    audit_record(actor=None, action=AuditAction.EXPORT, target_label="after the second rotation")

    assert AuditEvent.objects.order_by("-seq").first().key_id == 2
    assert audit_verify().ok


def test_a_lost_key_is_named_at_the_first_event_it_signed(world, keyring):
    call_command("audit_rotate_key", stdout=io.StringIO())
    first_signed = AuditEvent.objects.order_by("-seq").first().seq
    keyring.write_text(
        "\n".join(line for line in keyring.read_text().splitlines() if not line.startswith("1 "))
    )

    result = audit_verify()

    assert result.broken_seq == first_signed
    assert "audit key 1" in result.reason


def test_rotation_without_a_key_ring_file_is_refused(world, settings):
    settings.KENGEN_AUDIT_KEYRING = ""

    with pytest.raises(CommandError, match="KENGEN_AUDIT_KEYRING"):
        call_command("audit_rotate_key", stdout=io.StringIO())


# --- ranges: the same first broken link whatever the split ---------------------------------------


def _tamper(sql: str, seqs: list[int]) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER audit_event_no_update")
            cursor.execute("DROP TRIGGER audit_event_no_delete")
        else:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for seq in seqs:
            cursor.execute(sql, [seq])


@pytest.mark.parametrize("workers", [1, 2, 3, 7])
@pytest.mark.parametrize(
    ("tampering", "reason"),
    [
        (None, None),
        ("UPDATE audit_auditevent SET target_label = 'rewritten' WHERE seq = %s", "was altered"),
        ("DELETE FROM audit_auditevent WHERE seq = %s", "is missing"),
        ("UPDATE audit_auditevent SET prev_hash = hash WHERE seq = %s", "chain link broken"),
    ],
)
def test_verification_in_ranges_names_the_same_first_broken_link(world, workers, tampering, reason):
    last = AuditChainHead.objects.get().last_seq
    if tampering is not None:
        _tamper(tampering, [last // 2, last // 2 + 5])

    serial = audit_verify(workers=1)
    ranged = audit_verify(workers=workers)

    assert (ranged.ok, ranged.broken_seq, ranged.checked, ranged.reason) == (
        serial.ok,
        serial.broken_seq,
        serial.checked,
        serial.reason,
    )
    if reason is None:
        assert ranged.ok and ranged.checked == last
    else:
        assert ranged.broken_seq == last // 2
        assert reason in ranged.reason


# --- what verification reads: awkward text, and events in the first canonical form ----------------

AWKWARD = "tab\there, line\nbreak, back\\slash, \\N, 髙﨑①, \x1e, quote\" and '"


def test_events_with_awkward_text_and_legacy_events_verify(world, settings):
    from kengen.audit.keys import derive
    from kengen.audit.services import CANON_JSON, compute_hash

    audit_record(
        actor=world.users["joho_head"],
        action=AuditAction.EXPORT,
        target_label=AWKWARD,
        application_ref=AWKWARD[:50],
        old={"k": AWKWARD, "n": [1, 2.5, None, True]},
        new={AWKWARD: {"nested": AWKWARD}},
        ip_address="2001:db8::1",
    )
    head = AuditChainHead.objects.get()
    legacy = AuditEvent(  # as written before key IDs and canonical form 2 existed
        seq=head.last_seq + 1,
        occurred_at=AuditEvent.objects.get(seq=head.last_seq).occurred_at,
        actor=world.users["joho_head"],
        actor_label=AWKWARD,
        action=AuditAction.EXPORT,
        target_label=AWKWARD,
        old=None,
        new={"rows": 3, "label": AWKWARD},
        ip_address="192.0.2.7",
        prev_hash=head.last_hash,
        key_id=0,
        canon=CANON_JSON,
    )
    legacy.hash = compute_hash(legacy, key=derive(settings.SECRET_KEY))
    legacy.save(force_insert=True)
    AuditChainHead.objects.update(last_seq=legacy.seq, last_hash=legacy.hash)
    audit_record(actor=None, action=AuditAction.EXPORT, target_label="after the legacy event")

    assert audit_verify().ok
    assert audit_verify(workers=3).ok
    _tamper("UPDATE audit_auditevent SET target_label = 'x' || target_label WHERE seq = %s", [legacy.seq])
    assert audit_verify().broken_seq == legacy.seq
