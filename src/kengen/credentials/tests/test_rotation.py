"""credential_rotate / credential_create_locked: the public services viewing-ID lending uses."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kengen.audit.models import AuditEvent
from kengen.credentials.choices import CredentialEventKind, LockReason, VerifyResult
from kengen.credentials.models import Credential, CredentialEvent
from kengen.credentials.passwords import verify_password
from kengen.credentials.services import credential_create_locked, credential_rotate, password_verify
from kengen.grants.choices import AccountKind
from kengen.grants.services import account_create
from kengen.testing import START

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared(core):
    """A viewing ID of 課税係 on COKAS-R/ADⅡ (whose passwords Kengen holds), never used yet."""
    core.shared = account_create(
        actor=None,
        system=core.core_system,
        user_id="VIEW09",
        valid_from=START,
        holder_organization=core.kazei,
        kind=AccountKind.VIEWING,
    )
    return core


def _verify(w, password):
    return password_verify(system=w.core_system, user_id="VIEW09", password=password).result


def test_a_new_shared_id_is_locked_until_its_first_rotation(shared):
    cred = credential_create_locked(account=shared.shared, reason=LockReason.NOT_LENT)
    assert cred.locked_at is not None and cred.lock_reason == LockReason.NOT_LENT and cred.verifier == ""
    assert _verify(shared, "anything") == VerifyResult.LOCKED
    assert not CredentialEvent.objects.filter(account=shared.shared).exists()


def test_a_rotation_for_use_hands_over_a_fresh_password_once(shared):
    credential_create_locked(account=shared.shared, reason=LockReason.NOT_LENT)
    now = timezone.now()
    issued = credential_rotate(
        actor=shared.users["shiminzei_head"],
        account=shared.shared,
        reference="lending 1",
        note="lent",
        now=now,
    )
    assert issued.value and issued.value not in repr(issued)
    cred = Credential.objects.get(account=shared.shared)
    assert verify_password(issued.value, cred.verifier) and cred.locked_at is None
    assert cred.expires_at == now + dt.timedelta(days=7)  # the policy's temporary validity
    assert _verify(shared, issued.value) == VerifyResult.VALID
    event = CredentialEvent.objects.get(account=shared.shared)
    assert (event.kind, event.reference, event.deadline) == (
        CredentialEventKind.ROTATED,
        "lending 1",
        cred.expires_at,
    )
    assert not AuditEvent.objects.filter(
        action="credential.rotated"
    ).exists()  # the caller audits the handover


def test_a_rotation_away_locks_with_a_password_nobody_has_seen(shared):
    first = credential_rotate(actor=shared.users["shiminzei_head"], account=shared.shared)
    away = credential_rotate(
        actor=shared.users["shiminzei_head"],
        account=shared.shared,
        lock_reason=LockReason.NOT_LENT,
        audit={"reason": "returned"},
    )
    assert away.value == ""
    cred = Credential.objects.get(account=shared.shared)
    assert cred.lock_reason == LockReason.NOT_LENT and cred.expires_at is None
    assert not verify_password(first.value, cred.verifier)
    assert _verify(shared, first.value) == VerifyResult.LOCKED
    (audit,) = AuditEvent.objects.filter(action="credential.rotated")
    assert audit.new["reason"] == "returned" and audit.new["user_id"] == "VIEW09"
    assert first.value not in str(audit.new)
