"""Validity-check campaigns: routing, decisions, finalizing, escalation (A5.10, A5.11, A6.5, A6.6)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kengen.audit.choices import AuditAction
from kengen.audit.models import AuditEvent
from kengen.core.exceptions import Conflict, NotFound, PermissionDenied, RuleViolation
from kengen.grants.choices import EndReason
from kengen.grants.models import Grant
from kengen.grants.services import maintenance_account_register
from kengen.jobs.services import run_due
from kengen.notifications.models import Notification
from kengen.people.models import Assignment
from kengen.people.services import assignment_move
from kengen.reviews.choices import CampaignStatus, Decision, Outcome, Route
from kengen.reviews.models import ReviewItem
from kengen.reviews.services import (
    campaign_finalize,
    campaign_open,
    campaign_rerun,
    evidence_attach,
    item_decide,
    items_keep_bulk,
    reviews_run_due,
    schedule_create,
)
from kengen.reviews.tests.conftest import ReviewWorld, maintenance_person
from kengen.testing import START, maintenance_contract

pytestmark = pytest.mark.django_db


def _open(rw: ReviewWorld, *, deadline_days: int = 30, **kw):
    today = timezone.localdate()
    return campaign_open(
        actor=rw.w.users["shokuin_head"],
        title="令和7年度 住基照会 正当性確認",
        systems=[rw.system],
        as_of=today,
        deadline=today + dt.timedelta(days=deadline_days),
        **kw,
    )


def _item(campaign, grant: Grant) -> ReviewItem:
    return ReviewItem.objects.get(campaign=campaign, grant=grant)


@pytest.mark.clause("A5.10")
@pytest.mark.clause("A4")
def test_each_grant_is_routed_to_the_officer_of_the_holders_section(rw: ReviewWorld):
    c = _open(rw)
    assert c.items.count() == 3
    kazei = _item(c, rw.grants["kazei_inquiry"])
    assert kazei.route == Route.OFFICER and kazei.organization_id == rw.w.kazei.pk
    shiminzei = rw.w.users["shiminzei_head"]
    seen = set(
        ReviewItem.objects.restrict(shiminzei, "change").filter(campaign=c).values_list("grant_id", flat=True)
    )
    assert seen == {rw.grants["kazei_inquiry"].pk}
    # The other section's officer cannot decide it (404, not 403).
    with pytest.raises(NotFound):
        item_decide(
            actor=rw.w.users["shiminzei_head"], item=_item(c, rw.grants["jinji_inquiry"]), decision="keep"
        )


@pytest.mark.clause("A5.10")
@pytest.mark.clause("A4")
def test_item_follows_its_holder_after_a_transfer_mid_campaign(rw: ReviewWorld):
    c = _open(rw)
    clerk = rw.w.people["jinji_clerk"]
    today = timezone.localdate()
    a = Assignment.objects.get(person=clerk, valid_to__isnull=True)
    assignment_move(actor=None, assignment=a, organization=rw.w.kazei, on=today)
    run_due()  # re-routes open campaigns daily
    item = _item(c, rw.grants["jinji_inquiry"])
    assert item.organization_id == rw.w.kazei.pk and item.route == Route.OFFICER
    assert ReviewItem.objects.restrict(rw.w.users["shiminzei_head"], "change").filter(pk=item.pk).exists()
    # The old officer is no longer asked (the administrator of the system still is, as always).
    officer_only = ReviewItem.objects.filter(pk=item.pk, organization_id__in=[rw.w.shokuin.pk, rw.w.jinji.pk])
    assert not officer_only.exists()
    assert AuditEvent.objects.filter(action=AuditAction.REVIEW_REROUTED).exists()


@pytest.mark.clause("A5.10")
def test_maintenance_staff_items_go_to_the_administrator(rw: ReviewWorld):
    person = maintenance_person()
    rw.w.core()  # the IT division head answers the contract's consultation (A12.2)
    maintenance_contract(
        person,
        [rw.system],
        organization=rw.w.shokuin,
        officer=rw.w.users["shokuin_head"],
        it_head=rw.w.users["joho_head"],
    )
    today = timezone.localdate()
    maintenance_account_register(
        actor=None,
        person=person,
        system=rw.system,
        user_id="m-001",
        permissions=[rw.system.permissions.get(code="inquiry")],
        valid_from=START,
        valid_to=today + dt.timedelta(days=100),
    )
    c = _open(rw)
    item = ReviewItem.objects.get(campaign=c, person=person)
    assert item.route == Route.ADMINISTRATOR
    assert not ReviewItem.objects.restrict(rw.w.users["shiminzei_head"], "change").filter(pk=item.pk).exists()
    item_decide(actor=rw.w.users["shokuin_head"], item=item, decision="keep")


@pytest.mark.clause("A5.10")
def test_only_the_administrator_of_every_system_opens_a_campaign(rw: ReviewWorld):
    today = timezone.localdate()
    with pytest.raises(PermissionDenied):
        campaign_open(
            actor=rw.w.users["shiminzei_head"],
            title="x",
            systems=[rw.system],
            as_of=today,
            deadline=today + dt.timedelta(days=3),
        )


@pytest.mark.clause("A5.10")
def test_revoking_or_correcting_needs_a_reason_and_correction_a_shorter_period(rw: ReviewWorld):
    c = _open(rw)
    officer = rw.w.users["shokuin_head"]
    item = _item(c, rw.grants["jinji_update"])
    with pytest.raises(RuleViolation) as e:
        item_decide(actor=officer, item=item, decision=Decision.REVOKE)
    assert e.value.field == "reason"
    with pytest.raises(RuleViolation) as e:
        item_decide(actor=officer, item=item, decision=Decision.CORRECT, reason="異動予定")
    assert e.value.field == "correct_to"
    with pytest.raises(RuleViolation):
        item_decide(
            actor=officer,
            item=item,
            decision=Decision.CORRECT,
            reason="x",
            correct_to=START - dt.timedelta(days=1),
        )


@pytest.mark.clause("A5.10")
def test_bulk_keep_for_an_unchanged_person_and_refused_for_new_grants(rw: ReviewWorld):
    officer = rw.w.users["shokuin_head"]
    first = _open(rw)
    items_keep_bulk(actor=officer, campaign=first, section=rw.w.shokuin.pk)
    items_keep_bulk(actor=rw.w.users["shiminzei_head"], campaign=first, section=rw.w.shiminzei.pk)
    campaign_finalize(actor=officer, campaign=first)
    # A new grant since the last check: that person is no longer "unchanged".
    acct = rw.grants["jinji_inquiry"].account
    rw.system.permissions.create(code="print", name="帳票")
    new = rw.grant(acct, "print")
    second = _open(rw)
    assert second.previous_id == first.pk
    assert _item(second, new).is_new and not _item(second, rw.grants["jinji_inquiry"]).is_new
    with pytest.raises(RuleViolation):
        items_keep_bulk(actor=officer, campaign=second, person=rw.w.people["jinji_clerk"])
    # The section bulk keeps only the unchanged ones; the new one waits for a look.
    n = items_keep_bulk(actor=officer, campaign=second, section=rw.w.shokuin.pk)
    assert n == 2
    assert _item(second, new).decision == ""
    assert AuditEvent.objects.filter(action=AuditAction.REVIEW_BULK_DECIDED).count() == 3


@pytest.mark.clause("A5.11")
def test_finalize_applies_revocations_and_corrections_through_the_grant_services(rw: ReviewWorld):
    c = _open(rw)
    officer = rw.w.users["shokuin_head"]
    today = timezone.localdate()
    item_decide(actor=officer, item=_item(c, rw.grants["jinji_update"]), decision="revoke", reason="担当外")
    item_decide(
        actor=officer,
        item=_item(c, rw.grants["jinji_inquiry"]),
        decision="correct",
        reason="任期に合わせる",
        correct_to=today + dt.timedelta(days=10),
    )
    summary = campaign_finalize(actor=officer, campaign=c)
    assert (summary.revoked, summary.corrected, summary.undecided) == (1, 1, 1)
    revoked = Grant.objects.get(pk=rw.grants["jinji_update"].pk)
    assert revoked.valid_to == today and revoked.end_reason == EndReason.CORRECTION
    assert revoked.end_note == "担当外"
    corrected = Grant.objects.get(pk=rw.grants["jinji_inquiry"].pk)
    assert corrected.valid_to == today + dt.timedelta(days=10)
    ended = AuditEvent.objects.filter(action=AuditAction.GRANT_ENDED, application_ref=f"review-{c.pk}")
    assert ended.count() == 2
    assert AuditEvent.objects.filter(action=AuditAction.REVIEW_FINALIZED).exists()
    c.refresh_from_db()
    assert c.status == CampaignStatus.FINALIZED
    assert _item(c, rw.grants["kazei_inquiry"]).outcome == Outcome.UNDECIDED
    # The officers were told.
    assert (
        Notification.objects.filter(
            recipient=rw.w.people["shiminzei_head"], subject__contains="finalized"
        ).exists()
        or Notification.objects.filter(recipient=rw.w.people["shiminzei_head"]).count() >= 2
    )
    with pytest.raises(Conflict):
        item_decide(actor=officer, item=_item(c, rw.grants["kazei_inquiry"]), decision="keep")


@pytest.mark.clause("A5.10")
@pytest.mark.clause("A5.11")
def test_no_answer_is_never_an_automatic_revocation_but_an_escalation(rw: ReviewWorld):
    c = _open(rw, deadline_days=1)
    today = timezone.localdate()
    before = list(Grant.objects.order_by("pk").values_list("pk", "valid_to", "ended_at"))
    due = reviews_run_due(today=today)  # within the reminder window
    assert due.reminded == 1 and due.escalated == 0
    c.refresh_from_db()
    assert c.reminded_on == today
    due = reviews_run_due(today=today + dt.timedelta(days=1))  # the deadline
    assert due.escalated == 1
    due = reviews_run_due(today=today + dt.timedelta(days=30))
    assert due.escalated == 0  # once
    assert list(Grant.objects.order_by("pk").values_list("pk", "valid_to", "ended_at")) == before
    assert ReviewItem.objects.filter(campaign=c, escalated=True, decision="").count() == 3
    assert AuditEvent.objects.filter(action=AuditAction.REVIEW_ESCALATED).count() == 1
    assert Notification.objects.filter(
        recipient=rw.w.people["shokuin_head"], subject__contains=c.title, body__contains="3"
    ).exists()
    # Finalizing leaves the undecided ones in force.
    campaign_finalize(actor=rw.w.users["shokuin_head"], campaign=c)
    assert list(Grant.objects.order_by("pk").values_list("pk", "valid_to", "ended_at")) == before


@pytest.mark.clause("A5.10")
def test_rerun_over_undecided_items(rw: ReviewWorld):
    c = _open(rw)
    officer = rw.w.users["shokuin_head"]
    item_decide(actor=officer, item=_item(c, rw.grants["jinji_update"]), decision="keep")
    campaign_finalize(actor=officer, campaign=c)
    rerun = campaign_rerun(actor=officer, campaign=c, deadline=timezone.localdate() + dt.timedelta(days=7))
    assert set(rerun.items.values_list("grant_id", flat=True)) == {
        rw.grants["jinji_inquiry"].pk,
        rw.grants["kazei_inquiry"].pk,
    }
    assert rerun.rerun_of_id == c.pk


@pytest.mark.clause("A5.10")
def test_scheduled_campaign_opens_on_its_date(rw: ReviewWorld):
    today = timezone.localdate()
    s = schedule_create(
        actor=rw.w.users["shokuin_head"],
        title="年次確認",
        systems=[rw.system],
        next_on=today,
        interval_months=12,
    )
    due = reviews_run_due(today=today)
    assert due.opened == 1
    s.refresh_from_db()
    assert s.next_on > today
    assert s.campaigns.get().items.count() == 3


@pytest.mark.clause("A5.10")
def test_signed_scan_is_attached_as_evidence_and_other_files_are_refused(rw: ReviewWorld):
    c = _open(rw)
    officer = rw.w.users["shiminzei_head"]
    e = evidence_attach(actor=officer, campaign=c, filename="scan.pdf", content=b"%PDF-1.4 signed")
    assert e.content_type == "application/pdf" and len(e.sha256) == 64
    with pytest.raises(RuleViolation):
        evidence_attach(actor=officer, campaign=c, filename="x.exe", content=b"MZ\x90")
