"""Direct grants, revocation on transfer, deletion for breach and maintenance IDs (A5.5–A5.9)."""

import datetime as dt

import pytest

from kengen.audit.models import AuditEvent
from kengen.core.exceptions import Conflict, PermissionDenied, RuleViolation
from kengen.eligibility.services import eligibility_entry_create
from kengen.grants.choices import AccountKind, EndReason, GrantBasis
from kengen.grants.models import Account, Grant
from kengen.grants.services import (
    account_create,
    account_end,
    grant_delete_for_breach,
    grant_direct,
    grant_revoke_for_transfer,
    maintenance_account_register,
)
from kengen.notifications.models import Notification
from kengen.people.choices import AssignmentEndReason, EmploymentType
from kengen.people.services import assignment_move
from kengen.testing import START, staff

pytestmark = pytest.mark.django_db
D = dt.date(2024, 5, 1)


@pytest.fixture
def core(world):
    core, tax = world.core()
    eligibility_entry_create(
        actor=None, organization=world.shokuin, valid_from=START
    )  # 総務部職員課: whole unit
    return core, tax


def _perm(tax, code="inquiry"):
    return tax.permissions.get(code=code)


@pytest.mark.clause("A5.5")
@pytest.mark.clause("A5.6")
def test_core_administrator_grants_a_table2_person_directly_and_the_officer_is_notified(world, core):
    _, tax = core
    person = world.people["jinji_clerk"]  # 職員課人事係: covered
    (g,) = grant_direct(actor=world.users["joho_head"], person=person, permissions=[_perm(tax)], valid_from=D)
    assert g.basis == GrantBasis.DIRECT
    assert g.account.user_id == person.staff_number
    note = Notification.objects.get(recipient=world.people["shokuin_head"], clause="A5.6")
    assert person.full_name in note.body


@pytest.mark.clause("A5.5")
def test_direct_grant_outside_table2_is_refused_naming_a5_5(world, core):
    _, tax = core
    with pytest.raises(RuleViolation) as exc:
        grant_direct(
            actor=world.users["joho_head"],
            person=world.people["kazei_clerk"],
            permissions=[_perm(tax)],
            valid_from=D,
        )
    assert exc.value.clause == "A5.5"
    assert not Grant.objects.exists() and not Account.objects.exists()


@pytest.mark.clause("A5.5")
def test_fiscal_year_appointee_is_never_granted_directly(world, core):
    _, tax = core
    fy = staff(world.jinji, employment_type=EmploymentType.FY_FULL_TIME, valid_from=START)
    with pytest.raises(RuleViolation) as exc:
        grant_direct(actor=world.users["joho_head"], person=fy, permissions=[_perm(tax)], valid_from=D)
    assert exc.value.clause == "A5.5"


@pytest.mark.clause("A5.5")
def test_only_core_or_intermediate_administrators_grant_directly(world, core):
    _, tax = core
    with pytest.raises(PermissionDenied):
        grant_direct(
            actor=world.users["shokuin_head"],
            person=world.people["jinji_clerk"],
            permissions=[_perm(tax)],
            valid_from=D,
        )
    jinji_sys = world.system("JINJI", "人事給与システム", owner=world.shokuin)
    with pytest.raises(RuleViolation) as exc:
        grant_direct(
            actor=world.users["shokuin_head"],
            person=world.people["jinji_clerk"],
            permissions=[jinji_sys.permissions.first()],
            valid_from=D,
        )
    assert exc.value.clause == "A5.5"


@pytest.mark.clause("A5.5")
def test_transfer_out_of_table2_lets_the_administrator_revoke_direct_grants(world, core):
    core_sys, tax = core
    person = world.people["jinji_clerk"]
    (g,) = grant_direct(actor=world.users["joho_head"], person=person, permissions=[_perm(tax)], valid_from=D)
    moved_on = dt.date(2024, 10, 1)
    with pytest.raises(RuleViolation) as exc:  # still eligible: not a transfer revocation
        grant_revoke_for_transfer(actor=world.users["joho_head"], person=person, on=moved_on, system=core_sys)
    assert exc.value.clause == "A5.5"
    assignment_move(
        actor=None,
        assignment=person.assignments.get(),
        organization=world.kazei,
        on=moved_on,
        reason=AssignmentEndReason.TRANSFER,
    )
    (ended,) = grant_revoke_for_transfer(
        actor=world.users["joho_head"], person=person, on=moved_on, system=core_sys
    )
    assert ended.pk == g.pk and ended.valid_to == moved_on and ended.end_reason == EndReason.TRANSFER
    assert Notification.objects.filter(recipient=world.people["shokuin_head"], clause="A5.5").exists()
    with pytest.raises(Conflict):
        grant_revoke_for_transfer(actor=world.users["joho_head"], person=person, on=moved_on, system=core_sys)


@pytest.mark.clause("A5.7")
@pytest.mark.clause("A5.8")
def test_breach_deletion_needs_a_reason_ends_the_id_and_notifies_the_officer(world, core):
    _, tax = core
    person = world.people["jinji_clerk"]
    grants = grant_direct(
        actor=world.users["joho_head"],
        person=person,
        permissions=[_perm(tax), _perm(tax, "update")],
        valid_from=D,
    )
    account = grants[0].account
    with pytest.raises(RuleViolation) as exc:
        grant_delete_for_breach(actor=world.users["joho_head"], account=account, reason="  ")
    assert exc.value.clause == "A5.7"
    with pytest.raises(PermissionDenied):  # only an administrator of the system
        grant_delete_for_breach(actor=world.users["shokuin_head"], account=account, reason="目的外利用")
    on = dt.date(2024, 7, 1)
    ended = grant_delete_for_breach(
        actor=world.users["joho_head"], account=account, reason="目的外の照会", on=on
    )
    assert {g.end_reason for g in ended} == {EndReason.BREACH}
    account.refresh_from_db()
    assert account.valid_to == on and account.end_reason == EndReason.BREACH
    note = Notification.objects.get(recipient=world.people["shokuin_head"], clause="A5.8")
    assert "目的外の照会" in note.body
    assert AuditEvent.objects.filter(action="grant.breach_deletion", target_id=str(account.pk)).exists()
    assert Grant.objects.filter(account=account).count() == 2  # ended, never erased


@pytest.mark.clause("A5.7")
def test_breach_deletion_of_single_permissions_keeps_the_id(world, core):
    _, tax = core
    inquiry, update = grant_direct(
        actor=world.users["joho_head"],
        person=world.people["jinji_clerk"],
        permissions=[_perm(tax), _perm(tax, "update")],
        valid_from=D,
    )
    grant_delete_for_breach(
        actor=world.users["joho_head"],
        account=update.account,
        reason="更新権限の濫用",
        grants=[update],
        on=dt.date(2024, 7, 1),
    )
    update.refresh_from_db()
    inquiry.refresh_from_db()
    assert update.end_reason == EndReason.BREACH and inquiry.ended_at is None
    assert inquiry.account.valid_to is None


@pytest.mark.clause("A5.9")
def test_administrator_registers_and_deletes_maintenance_ids_which_always_end(world, core, maintainer):
    core_sys, tax = core
    with pytest.raises(RuleViolation) as exc:
        maintenance_account_register(
            actor=world.users["joho_head"],
            person=maintainer,
            system=core_sys,
            user_id="m001",
            permissions=[_perm(tax)],
            valid_from=D,
            valid_to=None,
        )
    assert exc.value.clause == "A5.9"
    (g,) = maintenance_account_register(
        actor=world.users["joho_head"],
        person=maintainer,
        system=core_sys,
        user_id="m001",
        permissions=[_perm(tax)],
        valid_from=D,
        valid_to=dt.date(2025, 4, 1),
    )
    assert g.account.kind == AccountKind.MAINTENANCE and g.basis == GrantBasis.MAINTENANCE
    with pytest.raises(RuleViolation):
        maintenance_account_register(
            actor=world.users["joho_head"],
            person=world.people["jinji_clerk"],
            system=core_sys,
            user_id="m002",
            permissions=[_perm(tax)],
            valid_from=D,
            valid_to=dt.date(2025, 4, 1),
        )
    account_end(
        actor=world.users["joho_head"], account=g.account, on=dt.date(2024, 9, 1), reason=EndReason.CANCELLED
    )
    g.refresh_from_db()
    assert g.valid_to == dt.date(2024, 9, 1) and g.end_reason == EndReason.ACCOUNT_ENDED


@pytest.mark.clause("A5.9")
def test_ending_a_user_id_after_its_planned_end_says_when_it_ends_and_what_to_choose(world):
    """A user ID still in force whose end is already planned: an end date after it is refused
    with the planned last day and the latest date that would end it sooner, not "already ended";
    once the planned end has come, "already ended"."""
    from django.utils import timezone, translation

    from kengen.core.era import wareki

    today = timezone.localdate()
    core = world.core()[0]
    account = account_create(
        actor=None,
        system=core,
        user_id="u-planned",
        person=world.people["jinji_clerk"],
        valid_from=today - dt.timedelta(days=10),
        valid_to=today + dt.timedelta(days=10),
    )
    with translation.override("en"), pytest.raises(Conflict) as later:
        account_end(
            actor=world.users["joho_head"],
            account=account,
            on=today + dt.timedelta(days=20),
            reason=EndReason.CANCELLED,
        )
    assert later.value.field == "on"
    assert wareki(today + dt.timedelta(days=9)) in later.value.message  # the planned last day
    assert wareki(today + dt.timedelta(days=10)) in later.value.message  # the latest end that helps
    assert "already ended" not in later.value.message
    account.refresh_from_db()
    assert account.valid_to == today + dt.timedelta(days=10)

    account_end(
        actor=world.users["joho_head"],
        account=account,
        on=today + dt.timedelta(days=5),
        reason=EndReason.CANCELLED,
    )
    account.refresh_from_db()
    assert account.valid_to == today + dt.timedelta(days=5)

    Account.objects.filter(pk=account.pk).update(valid_to=today)
    with translation.override("en"), pytest.raises(Conflict, match="has already ended"):
        account_end(
            actor=world.users["joho_head"],
            account=account,
            on=today + dt.timedelta(days=1),
            reason=EndReason.CANCELLED,
        )
