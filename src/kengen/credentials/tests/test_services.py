"""Passwords in the management file: A8.2–A8.8 through the services."""

import datetime as dt

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.utils import timezone

from kengen.audit.models import AuditEvent
from kengen.contractors.services import contractor_create
from kengen.core.exceptions import Conflict, NotFound, PermissionDenied, RuleViolation
from kengen.credentials.choices import (
    CredentialEventKind,
    CredentialMode,
    LockReason,
    RecordedEvent,
    VerifyResult,
)
from kengen.credentials.models import (
    Credential,
    CredentialEvent,
    CredentialPolicy,
    PasswordHistory,
    RevealLink,
)
from kengen.credentials.selectors import policy_for
from kengen.credentials.services import (
    Throttled,
    credential_policy_set,
    maintenance_password_set,
    password_change,
    password_change_via_system,
    password_event_record,
    password_verify,
    reveal_link_for,
    system_api_key_authenticate,
    system_api_key_create,
    system_api_key_revoke,
    temporary_password_issue,
    temporary_password_reveal,
)
from kengen.credentials.tests.helpers import (
    STRONG,
    STRONG_2,
    STRONG_3,
    hold_in_kengen,
    issue_and_reveal,
    personal_account,
    reveal_token,
)
from kengen.grants.choices import AccountKind
from kengen.grants.services import maintenance_account_register
from kengen.jobs.services import run_due
from kengen.notifications.models import Notification
from kengen.people.choices import PersonKind
from kengen.people.services import person_create
from kengen.testing import START, maintenance_contract

pytestmark = pytest.mark.django_db


def _verify(world, account, password, **kwargs):
    return password_verify(system=account.system, user_id=account.user_id, password=password, **kwargs)


# --- policy -----------------------------------------------------------------------------------


def test_systems_without_a_policy_use_the_defaults(world):
    system = world.system("HR", "人事給与システム")
    policy = policy_for(system)
    assert policy.pk is None
    assert (
        policy.mode,
        policy.min_length,
        policy.max_age_days,
        policy.history_count,
        policy.temporary_validity_days,
        policy.min_character_classes,
    ) == (CredentialMode.SYSTEM, 12, 90, 5, 7, 0)


@pytest.mark.clause("A8.7")
def test_the_administrator_sets_the_policy_and_it_is_audited(world):
    system = world.system("HR", "人事給与システム")  # owned by 職員課: its head administers it
    credential_policy_set(
        actor=world.users["shokuin_head"], system=system, mode=CredentialMode.KENGEN, max_age_days=60
    )
    policy = CredentialPolicy.objects.get(system=system)
    assert policy.mode == CredentialMode.KENGEN and policy.max_age_days == 60
    assert AuditEvent.objects.filter(action="credential.policy_set", target_id=str(policy.pk)).exists()
    with pytest.raises(PermissionDenied):
        credential_policy_set(actor=world.users["shiminzei_head"], system=system, max_age_days=30)


@pytest.mark.clause("A8.7")
def test_periodic_change_cannot_be_switched_off(world):
    system = world.system("HR", "人事給与システム")
    with pytest.raises(RuleViolation) as exc:
        credential_policy_set(actor=world.users["shokuin_head"], system=system, max_age_days=0)
    assert exc.value.clause == "A8.7"


# --- temporary passwords (A8.2–A8.4) ----------------------------------------------------------


@pytest.mark.clause("A8.2")
@pytest.mark.clause("A8.3")
def test_core_administrator_issues_and_only_the_officer_sees_it_once(core, mailoutbox):
    issued = temporary_password_issue(actor=core.users["joho_head"], account=core.account)
    assert issued.value == ""  # the administrator never sees a system user's temporary password
    assert issued.officer == core.people["shokuin_head"]
    note = Notification.objects.get(clause="A8.3", recipient=core.people["shokuin_head"])
    assert note.link.startswith("/credentials/reveal/#")  # the token only in the fragment (issue 10)
    token = reveal_token(core.account)
    link = RevealLink.objects.get()
    assert link.digest != token and token not in link.digest  # only the digest is stored
    # another officer, or the administrator, gets "not found", and the attempt is audited
    for other in ("shiminzei_head", "joho_head", "jinji_clerk"):
        with pytest.raises(NotFound):
            temporary_password_reveal(actor=core.users[other], token=token)
    assert (
        AuditEvent.objects.filter(action="auth.access_denied", target_type="credentials.reveallink").count()
        == 3
    )
    value = temporary_password_reveal(actor=core.users["shokuin_head"], token=token)
    assert len(value.replace("-", "")) >= 16
    with pytest.raises(Conflict):
        temporary_password_reveal(actor=core.users["shokuin_head"], token=token)
    revealed = AuditEvent.objects.get(action="credential.temporary_revealed")
    assert value not in str(revealed.new)
    assert _verify(core, core.account, value).result == VerifyResult.MUST_CHANGE


@pytest.mark.clause("A8.2")
def test_temporary_passwords_come_from_core_and_intermediate_administrators_only(core, world):
    hr = world.system("HR", "人事給与システム")
    hold_in_kengen(world, hr, "shokuin_head")
    account = personal_account(world, hr, "jinji_clerk", "HR001")
    with pytest.raises(RuleViolation) as exc:
        temporary_password_issue(actor=world.users["shokuin_head"], account=account)
    assert exc.value.clause == "A8.2" and "Form 2" in exc.value.message
    with pytest.raises(PermissionDenied):  # not the administrator of COKAS-R/ADⅡ
        temporary_password_issue(actor=world.users["shokuin_head"], account=core.account)


@pytest.mark.clause("A8.2")
def test_a_temporary_password_is_generated_never_chosen_and_never_the_long_term_one(core):
    first = issue_and_reveal(core, core.account)
    password_change(actor=core.users["jinji_clerk"], account=core.account, current=first, new=STRONG)
    second = issue_and_reveal(core, core.account)
    assert second not in (first, STRONG)
    assert (
        "value"
        not in temporary_password_issue.__code__.co_varnames[: temporary_password_issue.__code__.co_argcount]
    )


@pytest.mark.clause("A8.4")
def test_the_temporary_password_must_be_changed_at_first_use(core):
    value = issue_and_reveal(core, core.account)
    assert _verify(core, core.account, value).result == VerifyResult.MUST_CHANGE
    with pytest.raises(RuleViolation) as exc:
        password_change(actor=core.users["jinji_clerk"], account=core.account, current=value, new=value)
    assert exc.value.field == "new_password"
    password_change(actor=core.users["jinji_clerk"], account=core.account, current=value, new=STRONG)
    outcome = _verify(core, core.account, STRONG)
    assert outcome.result == VerifyResult.VALID
    assert outcome.permissions == (("CK-TAX", "inquiry"),)
    assert _verify(core, core.account, value).result == VerifyResult.WRONG


@pytest.mark.clause("A8.4")
def test_an_unused_temporary_password_expires_and_locks_until_a_new_one_is_issued(core):
    value = issue_and_reveal(core, core.account)
    later = timezone.now() + dt.timedelta(days=8)
    summary = run_due(now=later)
    assert summary.temporary_expired == 1
    cred = Credential.objects.get(account=core.account)
    assert cred.locked_at is not None and cred.lock_reason == LockReason.TEMPORARY_EXPIRED
    assert _verify(core, core.account, value, now=later).result == VerifyResult.LOCKED
    assert AuditEvent.objects.filter(action="credential.temporary_expired").count() == 1
    assert Notification.objects.filter(clause="A8.4", recipient=core.people["shokuin_head"]).exists()
    assert run_due(now=later).temporary_expired == 0  # idempotent
    fresh = issue_and_reveal(core, core.account)
    assert _verify(core, core.account, fresh).result == VerifyResult.MUST_CHANGE


@pytest.mark.clause("A8.4")
def test_an_expired_temporary_password_is_refused_even_before_run_due(core):
    value = issue_and_reveal(core, core.account)
    later = timezone.now() + dt.timedelta(days=7, minutes=1)
    assert _verify(core, core.account, value, now=later).result == VerifyResult.LOCKED
    assert Credential.objects.get(account=core.account).lock_reason == LockReason.TEMPORARY_EXPIRED


@pytest.mark.clause("A8.3")
def test_the_reveal_link_expires(core, time_machine):
    temporary_password_issue(actor=core.users["joho_head"], account=core.account)
    token = reveal_token(core.account)
    time_machine.move_to(timezone.now() + dt.timedelta(days=8))
    with pytest.raises(Conflict):
        reveal_link_for(actor=core.users["shokuin_head"], token=token)


@pytest.mark.clause("A8.3")
def test_a_reissued_temporary_password_retires_the_old_link(core):
    temporary_password_issue(actor=core.users["joho_head"], account=core.account)
    old = reveal_token(core.account)
    temporary_password_issue(actor=core.users["joho_head"], account=core.account)
    with pytest.raises(Conflict):
        temporary_password_reveal(actor=core.users["shokuin_head"], token=old)


# --- changing (A8.6, A8.7) --------------------------------------------------------------------


@pytest.mark.clause("A8.6")
def test_a_weak_new_password_is_refused_with_the_reason(core):
    value = issue_and_reveal(core, core.account)
    for weak in ("Xk7-q2", "password123456", "JINJI001 is my id"):
        with pytest.raises(RuleViolation) as exc:
            password_change(actor=core.users["jinji_clerk"], account=core.account, current=value, new=weak)
        assert exc.value.clause == "A8.6" and weak not in exc.value.message


@pytest.mark.clause("A8.7")
def test_the_last_n_passwords_cannot_be_reused(core):
    hold_in_kengen(core, core.core_system, history_count=3)  # the current one and the two before it
    value = issue_and_reveal(core, core.account)
    clerk = core.users["jinji_clerk"]
    password_change(actor=clerk, account=core.account, current=value, new=STRONG)
    password_change(actor=clerk, account=core.account, current=STRONG, new=STRONG_2)
    password_change(actor=clerk, account=core.account, current=STRONG_2, new=STRONG_3)
    with pytest.raises(RuleViolation) as exc:
        password_change(actor=clerk, account=core.account, current=STRONG_3, new=STRONG)
    assert exc.value.clause == "A8.7"
    assert PasswordHistory.objects.filter(credential__account=core.account).count() == 2
    fourth = "amber tide window 88 lighthouse"
    password_change(actor=clerk, account=core.account, current=STRONG_3, new=fourth)
    # STRONG has now dropped out of the last three
    password_change(actor=clerk, account=core.account, current=fourth, new=STRONG)


@pytest.mark.clause("A8.7")
def test_passwords_expire_after_the_maximum_age_with_reminders_before(core):
    value = issue_and_reveal(core, core.account)
    password_change(actor=core.users["jinji_clerk"], account=core.account, current=value, new=STRONG)
    cred = Credential.objects.get(account=core.account)
    assert cred.expires_at - cred.changed_at == dt.timedelta(days=90)
    assert run_due(now=cred.changed_at + dt.timedelta(days=70)).password_reminders == 0
    reminder_day = cred.changed_at + dt.timedelta(days=77)
    assert run_due(now=reminder_day).password_reminders == 1
    assert run_due(now=reminder_day).password_reminders == 0
    assert Notification.objects.filter(clause="A8.7", recipient=core.people["jinji_clerk"]).count() == 1
    after = cred.changed_at + dt.timedelta(days=91)
    assert _verify(core, core.account, STRONG, now=after).result == VerifyResult.EXPIRED
    assert run_due(now=after).passwords_due == 1
    assert run_due(now=after).passwords_due == 0
    assert CredentialEvent.objects.filter(account=core.account, kind=CredentialEventKind.DUE).count() == 1
    # an expired password can still be changed (current + new), which starts a new period
    password_change(
        actor=core.users["jinji_clerk"], account=core.account, current=STRONG, new=STRONG_2, now=after
    )
    assert _verify(core, core.account, STRONG_2, now=after).result == VerifyResult.VALID


def test_wrong_passwords_lock_at_the_threshold(core):
    hold_in_kengen(core, core.core_system, lockout_threshold=3)
    value = issue_and_reveal(core, core.account)
    password_change(actor=core.users["jinji_clerk"], account=core.account, current=value, new=STRONG)
    assert _verify(core, core.account, "wrong one 1").result == VerifyResult.WRONG
    assert _verify(core, core.account, "wrong one 2").result == VerifyResult.WRONG
    assert _verify(core, core.account, "wrong one 3").result == VerifyResult.LOCKED
    assert _verify(core, core.account, STRONG).result == VerifyResult.LOCKED
    assert AuditEvent.objects.filter(action="credential.verify_failed").count() == 3
    assert AuditEvent.objects.filter(action="credential.locked").count() == 1
    # a new temporary password unlocks
    fresh = issue_and_reveal(core, core.account)
    assert _verify(core, core.account, fresh).result == VerifyResult.MUST_CHANGE


def test_a_wrong_current_password_in_self_service_counts_and_is_remembered(core):
    hold_in_kengen(core, core.core_system, lockout_threshold=2)
    issue_and_reveal(core, core.account)
    for _ in range(2):
        with pytest.raises(RuleViolation):
            password_change(
                actor=core.users["jinji_clerk"], account=core.account, current="not it at all", new=STRONG
            )
    assert Credential.objects.get(account=core.account).lock_reason == LockReason.FAILURES


def test_only_the_holder_changes_their_password(core):
    value = issue_and_reveal(core, core.account)
    with pytest.raises(NotFound):
        password_change(actor=core.users["shokuin_head"], account=core.account, current=value, new=STRONG)


def test_the_verify_api_is_rate_limited_per_user_id(core, settings):
    settings.KENGEN_VERIFY_RATE_LIMITS = {"account": (3, 60), "key": (100, 60)}
    now = timezone.now().replace(second=5)
    for _ in range(3):
        _verify(core, core.account, "nope nope nope", now=now, ip_address="192.0.2.1")
    with pytest.raises(Throttled) as exc:
        _verify(core, core.account, "nope nope nope", now=now, ip_address="192.0.2.1")
    assert 1 <= exc.value.retry_after <= 60
    # unknown user IDs are throttled too, and the counter is per user ID
    other = password_verify(
        system=core.core_system, user_id="NOBODY", password="x", now=now, ip_address="192.0.2.1"
    )
    assert other.result == VerifyResult.WRONG
    assert _verify(
        core, core.account, "nope", now=now + dt.timedelta(seconds=60), ip_address="192.0.2.1"
    ).result


def test_the_verify_api_is_rate_limited_per_system_key(core, settings):
    # Was per source address (issue 9: one system's server is one address, so that capped a whole
    # system): the same intent, failures from one caller across user IDs, now keyed by the key.
    settings.KENGEN_VERIFY_RATE_LIMITS = {"account": (100, 60), "key": (2, 60)}
    gateway = system_api_key_create(actor=core.users["joho_head"], system=core.core_system, name="gw").key
    other_key = system_api_key_create(actor=core.users["joho_head"], system=core.core_system, name="gw2").key
    now = timezone.now().replace(second=5)
    for uid in ("A", "B"):
        password_verify(
            system=core.core_system,
            user_id=uid,
            password="x",
            now=now,
            ip_address="198.51.100.7",
            api_key=gateway,
        )
    with pytest.raises(Throttled):
        password_verify(
            system=core.core_system,
            user_id="C",
            password="x",
            now=now,
            ip_address="198.51.100.8",
            api_key=gateway,
        )
    password_verify(
        system=core.core_system,
        user_id="C",
        password="x",
        now=now,
        ip_address="198.51.100.7",
        api_key=other_key,
    )


def test_verify_refuses_systems_that_hold_their_own_passwords(world):
    hr = world.system("HR", "人事給与システム")
    with pytest.raises(Conflict):
        password_verify(system=hr, user_id="X", password="y")


def test_change_through_the_system_at_sign_in(core):
    value = issue_and_reveal(core, core.account)
    bad = password_change_via_system(system=core.core_system, user_id="JINJI001", current="wrong", new=STRONG)
    assert bad.result == VerifyResult.WRONG
    with pytest.raises(RuleViolation):
        password_change_via_system(
            system=core.core_system, user_id="JINJI001", current=value, new="password1234"
        )
    ok = password_change_via_system(system=core.core_system, user_id="JINJI001", current=value, new=STRONG)
    assert ok.result == VerifyResult.VALID
    event = AuditEvent.objects.filter(action="credential.changed").latest("seq")
    assert event.actor_label == "system COKAS" and event.new["via"] == "COKAS"


def test_verifiers_are_argon2id_with_the_pinned_parameters(core, settings):
    value = issue_and_reveal(core, core.account)
    verifier = Credential.objects.get(account=core.account).verifier
    assert verifier.startswith("argon2$argon2id$")
    assert (
        identify_hasher(verifier).safe_summary(verifier)["memory cost"]
        == settings.KENGEN_ARGON2["memory_cost"]
    )
    settings.KENGEN_ARGON2 = {"time_cost": 2, "memory_cost": 2048, "parallelism": 1}
    _verify(core, core.account, value)  # verifying with changed parameters upgrades the verifier
    upgraded = Credential.objects.get(account=core.account).verifier
    assert upgraded != verifier and "m=2048" in upgraded


# --- maintenance staff (A8.8) -----------------------------------------------------------------


@pytest.fixture
def maintenance(core):
    contractor = contractor_create(actor=None, name="北見システム保守株式会社")
    person = person_create(
        actor=None,
        family_name="保守",
        given_name="太郎",
        family_name_kana="ホシュ",
        given_name_kana="タロウ",
        kind=PersonKind.MAINTENANCE,
        contractor=contractor,
    )
    end = timezone.localdate() + dt.timedelta(days=30)
    maintenance_contract(
        person,
        [core.core_system],
        organization=core.joho,
        officer=core.users["joho_head"],
        it_head=core.users["joho_head"],
    )
    maintenance_account_register(
        actor=core.users["joho_head"],
        person=person,
        system=core.core_system,
        user_id="M0001",
        permissions=[core.tax.permissions.get(code="inquiry")],
        valid_from=START,
        valid_to=end,
    )
    core.maintenance = person.accounts.get()
    core.maintenance_end = end
    return core


@pytest.mark.clause("A8.8")
def test_administrators_set_maintenance_passwords_shown_once_and_bounded_by_the_registration(maintenance):
    w = maintenance
    issued = maintenance_password_set(actor=w.users["joho_head"], account=w.maintenance)
    assert issued.value and issued.value not in repr(issued)
    cred = Credential.objects.get(account=w.maintenance)
    end = timezone.make_aware(dt.datetime.combine(w.maintenance_end, dt.time.min))
    assert cred.expires_at == end  # 30 days left: the registration ends before 90 days pass
    assert _verify(w, w.maintenance, issued.value).result == VerifyResult.VALID
    after = end + dt.timedelta(hours=1)
    assert _verify(w, w.maintenance, issued.value, now=after).result == VerifyResult.EXPIRED
    with pytest.raises(PermissionDenied):
        maintenance_password_set(actor=w.users["shokuin_head"], account=w.maintenance)
    with pytest.raises(RuleViolation):
        maintenance_password_set(actor=w.users["joho_head"], account=w.account)
    assert AuditEvent.objects.filter(action="credential.maintenance_set").exists()


@pytest.mark.clause("A8.8")
def test_any_administrator_issues_maintenance_temporary_passwords_to_hand_over(maintenance):
    w = maintenance
    issued = temporary_password_issue(actor=w.users["joho_head"], account=w.maintenance)
    assert issued.value and issued.officer is None and issued.reveal_link is None
    assert _verify(w, w.maintenance, issued.value).result == VerifyResult.MUST_CHANGE
    with pytest.raises(NotFound):  # not the administrator's own user ID
        password_change(actor=w.users["joho_head"], account=w.maintenance, current=issued.value, new=STRONG)
    outcome = password_change_via_system(
        system=w.core_system, user_id="M0001", current=issued.value, new=STRONG
    )
    assert outcome.result == VerifyResult.VALID


# --- systems that hold their own passwords: events only ----------------------------------------


@pytest.mark.clause("A8.3")
def test_held_by_the_system_records_events_and_tracks_deadlines(world):
    core, tax = world.core()  # default policy: held by the system
    account = personal_account(world, core, "jinji_clerk", "JINJI001", perm_system=tax)
    password_event_record(
        actor=world.users["joho_head"], account=account, event=RecordedEvent.TEMPORARY_ISSUED
    )
    cred = Credential.objects.get(account=account)
    assert cred.verifier == "" and cred.is_temporary
    note = Notification.objects.get(clause="A8.3", recipient=world.people["shokuin_head"])
    assert note.link == ""  # nothing to reveal: the value never passes through Kengen
    with pytest.raises(RuleViolation):
        temporary_password_issue(actor=world.users["joho_head"], account=account)
    password_event_record(actor=world.users["joho_head"], account=account, event=RecordedEvent.CHANGED)
    cred.refresh_from_db()
    assert not cred.is_temporary and cred.expires_at - cred.changed_at == dt.timedelta(days=90)
    assert run_due(now=cred.expires_at + dt.timedelta(minutes=1)).passwords_due == 1


# --- system API keys --------------------------------------------------------------------------


def test_system_api_keys_are_stored_as_digests_and_can_be_revoked(core):
    issued = system_api_key_create(
        actor=core.users["joho_head"], system=core.core_system, name="COKAS gateway"
    )
    assert issued.raw.startswith("kgs_") and issued.key.digest != issued.raw
    assert system_api_key_authenticate(issued.raw) == issued.key
    with pytest.raises(PermissionDenied):
        system_api_key_create(actor=core.users["shokuin_head"], system=core.core_system, name="x")
    system_api_key_revoke(actor=core.users["joho_head"], key=issued.key)
    assert system_api_key_authenticate(issued.raw) is None


def test_viewing_ids_get_no_temporary_password(core):
    from kengen.viewing.services import viewing_id_create

    account = viewing_id_create(
        actor=core.users["joho_head"],
        system=core.core_system,
        user_id="VIEW01",
        holder_organization=core.jinji,
        permissions=[core.tax.permissions.get(code="inquiry")],
        valid_from=START,
    )
    assert account.kind == AccountKind.VIEWING
    with pytest.raises(RuleViolation) as exc:
        temporary_password_issue(actor=core.users["joho_head"], account=account)
    assert exc.value.clause == "A11.4"
