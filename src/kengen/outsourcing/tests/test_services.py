"""The outsourcing rules (A12.1, A12.2, A5.9, A8.8) and external services (A13.1, A13.2), through
the real services on the real database."""

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
from kengen.notifications.models import Notification
from kengen.outsourcing import services as svc
from kengen.outsourcing.choices import (
    ChecklistItem,
    CheckState,
    ConsultationAnswer,
    ContractStatus,
    EvidenceKind,
    ServiceStatus,
    WorkKind,
)
from kengen.outsourcing.models import Consultation, Contract, EvidenceFile, SubcontractPermission
from kengen.outsourcing.selectors import contract_accounts, maintenance_eligible, responsibility_matrix
from kengen.outsourcing.tests.conftest import period
from kengen.testing import START
from kengen.workflow.choices import WorkflowStatus

PDF = b"%PDF-1.4\n%test evidence\n"


def _contract(out, **kw) -> Contract:
    start, end = period()
    args = dict(
        actor=out.officer,
        contractor=out.contractor,
        title="人事給与システム保守",
        work=WorkKind.MAINTENANCE,
        systems=[out.jinji_system],
        organization=out.world.shokuin,
        valid_from=start,
        valid_to=end,
    )
    args.update(kw)
    return svc.contract_create(**args)


def _agreed(out, contract: Contract, answer=ConsultationAnswer.AGREE, comment="") -> Consultation:
    c = svc.consultation_create(actor=out.officer, contract=contract, reason="保守業務の委託")
    svc.consultation_submit(actor=out.officer, application=c)
    return svc.consultation_complete(actor=out.it_head, application=c, answer=answer, comment=comment)


def _active(out, **kw) -> Contract:
    contract = _contract(out, **kw)
    _agreed(out, contract)
    return svc.contract_activate(actor=out.officer, contract=contract)


@pytest.mark.clause("A12.1")
def test_a_contract_is_registered_with_the_full_security_checklist_and_audited(out):
    contract = _contract(out)
    assert contract.status == ContractStatus.DRAFT
    assert sorted(contract.checklist.values_list("item", flat=True)) == sorted(ChecklistItem.values)
    assert AuditEvent.objects.filter(action=AuditAction.CONTRACT_CREATED, target_id=str(contract.pk)).exists()


@pytest.mark.clause("A12.1")
def test_only_the_sections_security_officer_or_the_configurator_registers_contracts(out):
    with pytest.raises(PermissionDenied):
        _contract(out, actor=out.world.users["shiminzei_head"])
    with pytest.raises(PermissionDenied):
        _contract(out, actor=out.world.users["jinji_clerk"])
    assert _contract(out, actor=out.configurator).pk


@pytest.mark.clause("A12.1")
def test_a_contract_must_end_after_it_starts_and_cover_a_system(out):
    with pytest.raises(RuleViolation) as exc:
        _contract(out, valid_to=START)
    assert exc.value.field == "valid_to"
    with pytest.raises(RuleViolation) as exc:
        _contract(out, systems=[])
    assert exc.value.field == "systems"


@pytest.mark.clause("A12.2")
def test_a_contract_cannot_be_activated_before_the_it_division_head_answers(out):
    contract = _contract(out)
    with pytest.raises(RuleViolation) as exc:
        svc.contract_activate(actor=out.officer, contract=contract)
    assert exc.value.clause == "A12.2"
    c = svc.consultation_create(actor=out.officer, contract=contract, reason="新規委託")
    svc.consultation_submit(actor=out.officer, application=c)
    with pytest.raises(RuleViolation):  # submitted, not answered
        svc.contract_activate(actor=out.officer, contract=contract)
    svc.consultation_complete(actor=out.it_head, application=c, answer=ConsultationAnswer.AGREE)
    contract = svc.contract_activate(actor=out.officer, contract=contract)
    assert contract.status == ContractStatus.ACTIVE


@pytest.mark.clause("A12.2")
def test_an_objection_keeps_the_contract_inactive_and_needs_a_reason(out):
    contract = _contract(out)
    c = svc.consultation_create(actor=out.officer, contract=contract, reason="新規委託")
    svc.consultation_submit(actor=out.officer, application=c)
    with pytest.raises(RuleViolation) as exc:
        svc.consultation_complete(actor=out.it_head, application=c, answer=ConsultationAnswer.OBJECT)
    assert exc.value.field == "comment"
    svc.consultation_complete(
        actor=out.it_head, application=c, answer=ConsultationAnswer.OBJECT, comment="再検討"
    )
    with pytest.raises(RuleViolation):
        svc.contract_activate(actor=out.officer, contract=contract)


@pytest.mark.clause("A12.2")
def test_the_consultation_goes_to_the_it_division_head_who_alone_answers(out):
    contract = _contract(out)
    c = svc.consultation_create(actor=out.officer, contract=contract, reason="新規委託")
    svc.consultation_submit(actor=out.officer, application=c)
    head = out.world.people["joho_head"]
    assert Notification.objects.filter(recipient=head, clause="A12.2").exists()
    with pytest.raises(NotFound):  # the officer who consulted cannot answer their own consultation
        svc.consultation_complete(actor=out.officer, application=c, answer=ConsultationAnswer.AGREE)
    c = svc.consultation_complete(
        actor=out.it_head, application=c, answer=ConsultationAnswer.AGREE_WITH_CONDITIONS, comment="年1回報告"
    )
    assert c.status == WorkflowStatus.COMPLETED and c.agreed
    assert Notification.objects.filter(recipient=out.world.people["shokuin_head"], clause="A12.2").exists()
    event = AuditEvent.objects.get(action=AuditAction.CONSULTATION_COMPLETED)
    assert event.new["answer"] == "conditions"


@pytest.mark.clause("A12.2")
def test_only_the_sections_security_officer_consults(out):
    contract = _contract(out)
    with pytest.raises(PermissionDenied):
        svc.consultation_create(actor=out.world.users["shiminzei_head"], contract=contract, reason="x")
    svc.consultation_create(actor=out.officer, contract=contract, reason="x")
    with pytest.raises(Conflict):  # one open consultation at a time
        svc.consultation_create(actor=out.officer, contract=contract, reason="x")


@pytest.mark.clause("A12.1")
def test_no_subcontractor_without_the_security_officers_permission(out):
    parent = _active(out)
    with pytest.raises(RuleViolation) as exc:
        _contract(out, contractor=out.other, parent=parent)
    assert exc.value.clause == "A12.1"
    assert not parent.subcontracts.exists()


@pytest.mark.clause("A12.1")
def test_a_permitted_subcontract_is_registered_with_the_same_security_measures(out):
    parent = _active(out)
    admin = out.world.users["shokuin_head"]  # administrator of 人事給与システム and officer of 職員課
    app = svc.subcontract_permission_create(
        actor=out.configurator, contract=parent, subcontractor=out.other, work_scope="夜間監視"
    )
    svc.subcontract_permission_submit(actor=out.configurator, application=app)
    with pytest.raises(NotFound):  # another section's officer cannot permit it
        svc.subcontract_permission_grant(actor=out.world.users["shiminzei_head"], application=app)
    app = svc.subcontract_permission_grant(actor=admin, application=app)
    sub = app.subcontract
    assert sub.parent_id == parent.pk and sub.contractor_id == out.other.pk
    assert sub.status == ContractStatus.ACTIVE
    assert sorted(sub.checklist.values_list("item", flat=True)) == sorted(ChecklistItem.values)
    assert AuditEvent.objects.filter(
        action=AuditAction.SUBCONTRACT_PERMITTED, application_ref=app.number
    ).exists()


@pytest.mark.clause("A12.1")
def test_a_refused_subcontract_is_not_registered(out):
    parent = _active(out)
    app = svc.subcontract_permission_create(
        actor=out.configurator, contract=parent, subcontractor=out.other, work_scope="夜間監視"
    )
    svc.subcontract_permission_submit(actor=out.configurator, application=app)
    svc.subcontract_permission_reject(actor=out.officer, application=app, reason="体制が不十分")
    assert not SubcontractPermission.objects.get(pk=app.pk).subcontract
    assert not parent.subcontracts.exists()


@pytest.mark.clause("A12.1")
def test_a_confirmed_measure_needs_a_review_date(out):
    contract = _contract(out)
    entry = contract.checklist.get(item=ChecklistItem.CONFIDENTIALITY)
    with pytest.raises(RuleViolation) as exc:
        svc.checklist_update(actor=out.officer, entry=entry, state=CheckState.CONFIRMED)
    assert exc.value.field == "review_on"
    entry = svc.checklist_update(
        actor=out.officer, entry=entry, state=CheckState.CONFIRMED, review_on=dt.date(2030, 4, 1)
    )
    assert entry.confirmed_by == out.world.people["shokuin_head"]


@pytest.mark.clause("A12.1")
def test_evidence_uploads_are_limited_in_size_and_type(out, monkeypatch):
    contract = _contract(out)
    entry = contract.checklist.first()
    f = svc.evidence_upload(actor=out.officer, entry=entry, name="../../秘密保持契約.pdf", data=PDF)
    assert f.name == "秘密保持契約.pdf" and f.content_type == "application/pdf" and f.size == len(PDF)
    with pytest.raises(RuleViolation) as exc:
        svc.evidence_upload(actor=out.officer, entry=entry, name="run.exe", data=b"MZ\x90\x00")
    assert exc.value.field == "file" and exc.value.clause == "A12.1"
    with pytest.raises(RuleViolation):  # the name says PDF, the content does not
        svc.evidence_upload(actor=out.officer, entry=entry, name="fake.pdf", data=b"<html><script>")
    with pytest.raises(RuleViolation):
        svc.evidence_upload(actor=out.officer, entry=entry, name="empty.pdf", data=b"")
    monkeypatch.setattr(svc, "EVIDENCE_MAX_BYTES", 32)
    with pytest.raises(RuleViolation) as exc:
        svc.evidence_upload(actor=out.officer, entry=entry, name="big.pdf", data=PDF + b"x" * 32)
    assert "MB" in exc.value.message
    assert EvidenceFile.objects.count() == 1
    event = AuditEvent.objects.get(action=AuditAction.CONTRACT_EVIDENCE_UPLOADED)
    assert "%PDF" not in str(event.new)  # the content never goes to the audit log


@pytest.mark.clause("A12.1")
def test_evidence_is_uploaded_only_by_those_who_may_change_the_contract(out):
    entry = _contract(out).checklist.first()
    with pytest.raises(NotFound):
        svc.evidence_upload(actor=out.world.users["shiminzei_head"], entry=entry, name="a.pdf", data=PDF)


@pytest.mark.clause("A12.1")
def test_the_responsibility_matrix_shows_every_contractor_on_a_system(out):
    first = _active(out)
    second = _active(out, contractor=out.other, title="人事給与システム運用", work=WorkKind.OPERATION)
    svc.responsibility_set(
        actor=out.officer,
        contract=first,
        system=out.jinji_system,
        duties="障害対応",
        contact="保守窓口 0157-00-0000",
    )
    with pytest.raises(RuleViolation):
        svc.responsibility_set(actor=out.officer, contract=first, system=out.tax, duties="x", contact="y")
    matrix = dict(responsibility_matrix(Contract.objects.all(), on=timezone.localdate()))
    rows = matrix[out.jinji_system]
    assert {r.contract.pk for r in rows} == {first.pk, second.pk}
    assert [r.responsibility is not None for r in sorted(rows, key=lambda r: r.contract.pk)] == [True, False]


@pytest.mark.clause("A5.9")
@pytest.mark.clause("A8.8")
def test_maintenance_staff_on_a_contract_are_registered_only_within_it(out):
    _core, tax = out.core, out.tax
    contract = _active(out, systems=[tax])
    svc.contract_staff_add(actor=out.officer, contract=contract, person=out.engineer)
    admin = out.world.users["joho_head"]  # administrator of the core system
    perm = tax.permissions.get(code="inquiry")
    with pytest.raises(RuleViolation) as exc:
        maintenance_account_register(
            actor=admin,
            person=out.engineer,
            system=tax,
            user_id="m0001",
            permissions=[perm],
            valid_from=START,
            valid_to=contract.valid_to + dt.timedelta(days=1),
        )
    assert exc.value.clause == "A5.9" and exc.value.field == "valid_to"
    grants = maintenance_account_register(
        actor=admin,
        person=out.engineer,
        system=tax,
        user_id="m0001",
        permissions=[perm],
        valid_from=START,
        valid_to=contract.valid_to,
    )
    assert [a.user_id for a in contract_accounts(contract)] == ["m0001"]
    assert grants[0].valid_to == contract.valid_to


@pytest.mark.clause("A5.9")
def test_maintenance_staff_join_only_their_contractors_contracts_within_the_period(out):
    contract = _contract(out, contractor=out.other)
    with pytest.raises(RuleViolation):
        svc.contract_staff_add(actor=out.officer, contract=contract, person=out.engineer)
    mine = _contract(out)
    with pytest.raises(RuleViolation):
        svc.contract_staff_add(
            actor=out.officer,
            contract=mine,
            person=out.engineer,
            valid_to=mine.valid_to + dt.timedelta(days=1),
        )


@pytest.mark.clause("A5.9")
@pytest.mark.clause("A8.8")
def test_maintenance_ids_and_grants_end_with_the_contract(out):
    contract = _active(out, systems=[out.tax])
    svc.contract_staff_add(actor=out.officer, contract=contract, person=out.engineer)
    maintenance_account_register(
        actor=out.it_head,
        person=out.engineer,
        system=out.tax,
        user_id="m0001",
        permissions=[out.tax.permissions.get(code="inquiry")],
        valid_from=START,
        valid_to=contract.valid_to,
    )
    today = timezone.localdate()
    svc.contract_end(actor=out.officer, contract=contract, on=today, note="契約解除")
    (account,) = contract_accounts(contract)
    assert account.valid_to == today and account.end_reason == EndReason.CONTRACT_ENDED
    assert (
        not Grant.objects.filter(account=account, ended_at__isnull=True).exclude(valid_to__lte=today).exists()
    )
    with pytest.raises(RuleViolation):  # no new registration after the contract ended
        maintenance_account_register(
            actor=out.it_head,
            person=out.engineer,
            system=out.tax,
            user_id="m0002",
            permissions=[out.tax.permissions.get(code="inquiry")],
            valid_from=today,
            valid_to=today + dt.timedelta(days=10),
        )


@pytest.mark.clause("A5.9")
def test_run_due_ends_contracts_whose_period_is_over_with_their_maintenance_ids(out):
    from kengen.jobs.services import run_due

    contract = _active(out, systems=[out.tax])
    svc.contract_staff_add(actor=out.officer, contract=contract, person=out.engineer)
    maintenance_account_register(
        actor=out.it_head,
        person=out.engineer,
        system=out.tax,
        user_id="m0001",
        permissions=[out.tax.permissions.get(code="inquiry")],
        valid_from=START,
        valid_to=contract.valid_to,
    )
    later = timezone.make_aware(dt.datetime.combine(contract.valid_to, dt.time(9)))
    summary = run_due(now=later)
    contract.refresh_from_db()
    assert contract.status == ContractStatus.ENDED and summary.contracts_ended == 1
    assert not Grant.objects.filter(ended_at__isnull=True).filter(account__person=out.engineer).exists()


def _register_maintenance(out, *codes: str, valid_to: dt.date, valid_from: dt.date = START):
    """The core administrator registers the engineer's ID m0001 with ``codes`` on 個人住民税 (A5.9)."""
    return maintenance_account_register(
        actor=out.it_head,
        person=out.engineer,
        system=out.tax,
        user_id="m0001",
        permissions=[out.tax.permissions.get(code=c) for c in codes or ("inquiry",)],
        valid_from=valid_from,
        valid_to=valid_to,
    )


@pytest.mark.clause("A5.9")
@pytest.mark.clause("A8.8")
def test_maintenance_staff_on_no_contract_get_no_user_id_nor_permission_on_any_path(out):
    from django.utils.translation import gettext

    from kengen.grants.choices import AccountKind
    from kengen.grants.services import account_create

    month = START + dt.timedelta(days=30)
    with pytest.raises(RuleViolation) as exc:
        _register_maintenance(out, valid_to=month)
    assert exc.value.clause == "A5.9"
    assert exc.value.message == gettext(
        "%(name)s is on no contract. Maintenance staff belong to a contract: add them to the staff of the "
        "contract they work under (委託契約) before registering a user ID or a permission."
    ) % {"name": out.engineer.full_name}
    with pytest.raises(RuleViolation) as exc:  # the lower path refuses too
        account_create(
            actor=out.it_head,
            system=out.core,
            user_id="m0001",
            person=out.engineer,
            kind=AccountKind.MAINTENANCE,
            valid_from=START,
            valid_to=month,
        )
    assert exc.value.clause == "A5.9"
    draft = _contract(out, systems=[out.tax])  # on a contract not yet active: still refused
    svc.contract_staff_add(actor=out.officer, contract=draft, person=out.engineer)
    with pytest.raises(RuleViolation):
        _register_maintenance(out, valid_to=month)
    assert not Grant.objects.filter(account__person=out.engineer).exists()


def _registered(out, contract: Contract) -> None:
    svc.contract_staff_add(actor=out.officer, contract=contract, person=out.engineer)
    _register_maintenance(out, "inquiry", "update", valid_to=contract.valid_to)


@pytest.mark.clause("A12.1")
def test_a_contract_is_changed_by_whoever_may_register_it_and_audited_field_by_field(out):
    contract = _contract(out, systems=[out.jinji_system])
    with pytest.raises(NotFound):  # another section's officer does not even see it to change
        svc.contract_update(actor=out.world.users["shiminzei_head"], contract=contract, title="x")
    changed = svc.contract_update(
        actor=out.officer,
        contract=contract,
        title="人事給与システム運用保守",
        work=WorkKind.OPERATION,
        systems=[out.jinji_system, out.tax],
    )
    assert changed.work == WorkKind.OPERATION and set(changed.systems.all()) == {out.jinji_system, out.tax}
    event = AuditEvent.objects.filter(action=AuditAction.CONTRACT_UPDATED, target_id=str(contract.pk)).get()
    assert set(event.new) == {"title", "work", "systems"} and event.old["work"] == WorkKind.MAINTENANCE
    assert event.new["systems"] == sorted([out.jinji_system.code, out.tax.code])
    assert changed.status == ContractStatus.DRAFT  # a change never activates (A12.2)
    with pytest.raises(RuleViolation):
        svc.contract_activate(actor=out.officer, contract=changed)
    with pytest.raises(PermissionDenied):  # moving it to a section the actor is not officer of
        svc.contract_update(actor=out.officer, contract=contract, organization=out.world.shiminzei)
    moved = svc.contract_update(actor=out.configurator, contract=contract, organization=out.world.shiminzei)
    assert moved.organization == out.world.shiminzei


@pytest.mark.clause("A12.1")
def test_a_contract_change_checks_the_registration_rules_again(out):
    contract = _contract(out)
    for kw, field in (
        ({"systems": []}, "systems"),
        ({"work": "painting"}, "work"),
        ({"title": " "}, "title"),
        ({"valid_to": START}, "valid_to"),
    ):
        with pytest.raises(RuleViolation) as exc:
            svc.contract_update(actor=out.officer, contract=contract, **kw)
        assert exc.value.field == field
    svc.contract_end(actor=out.officer, contract=contract, on=timezone.localdate())
    with pytest.raises(Conflict):
        svc.contract_update(actor=out.officer, contract=contract, title="x")
    assert not AuditEvent.objects.filter(action=AuditAction.CONTRACT_UPDATED).exists()


@pytest.mark.clause("A5.9")
@pytest.mark.clause("A8.8")
def test_shortening_a_contract_cuts_its_maintenance_ids_and_grants_back_and_tells_the_officers(out):
    contract = _active(out, systems=[out.tax])
    _registered(out, contract)
    new_end = timezone.localdate() + dt.timedelta(days=40)
    with pytest.raises(RuleViolation):  # an active contract is ended, not shortened into the past
        svc.contract_update(actor=out.officer, contract=contract, valid_to=timezone.localdate())
    svc.contract_update(actor=out.officer, contract=contract, valid_to=new_end)
    (account,) = contract_accounts(contract)
    assert account.valid_to == new_end and account.end_reason == EndReason.CONTRACT_ENDED
    grants = Grant.objects.filter(account=account)
    assert grants.count() == 2 and set(grants.values_list("valid_to", flat=True)) == {new_end}
    assert contract.staff.get().valid_to == new_end
    event = AuditEvent.objects.get(action=AuditAction.CONTRACT_UPDATED, target_id=str(contract.pk))
    assert event.new["valid_to"] == new_end.isoformat() and event.new["accounts_cut_back"][0][0] == "m0001"
    assert AuditEvent.objects.filter(action=AuditAction.GRANT_ENDED).count() == 2
    notices = Notification.objects.filter(clause="A5.9", subject__contains=contract.title)
    recipients = set(notices.values_list("recipient", flat=True))
    assert out.world.people["shokuin_head"].pk in recipients  # the section's security officer
    assert out.world.people["joho_head"].pk in recipients  # the administrator of the core system
    with pytest.raises(RuleViolation):  # and nothing new beyond the new end
        _register_maintenance(
            out, "admin", valid_from=timezone.localdate(), valid_to=new_end + dt.timedelta(days=1)
        )
    later = new_end + dt.timedelta(days=100)
    svc.contract_update(actor=out.officer, contract=contract, valid_to=later)  # extended again
    assert contract.staff.get().valid_to == later  # its staff stay on it to its end


@pytest.mark.clause("A5.9")
def test_dropping_a_system_from_a_contract_ends_its_maintenance_ids_there(out):
    contract = _active(out, systems=[out.tax, out.jinji_system])
    _registered(out, contract)
    svc.contract_update(actor=out.officer, contract=contract, systems=[out.jinji_system])
    account = out.engineer.accounts.get()
    assert account.valid_to == timezone.localdate()
    assert not Grant.objects.filter(account=account, valid_to__gt=timezone.localdate()).exists()


@pytest.mark.clause("A12.1")
def test_a_subcontract_follows_its_main_contract_when_it_is_shortened(out):
    contract = _active(out, systems=[out.jinji_system, out.tax])
    permission = svc.subcontract_permission_create(
        actor=out.configurator, contract=contract, subcontractor=out.other, work_scope="障害一次対応"
    )
    svc.subcontract_permission_submit(actor=out.configurator, application=permission)
    sub = svc.subcontract_permission_grant(actor=out.officer, application=permission).subcontract
    new_end = timezone.localdate() + dt.timedelta(days=40)
    svc.contract_update(actor=out.officer, contract=contract, valid_to=new_end)
    sub.refresh_from_db()
    assert sub.valid_to == new_end
    with pytest.raises(RuleViolation):  # never beyond its main contract
        svc.contract_update(actor=out.officer, contract=sub, valid_to=new_end + dt.timedelta(days=1))
    svc.contract_update(actor=out.officer, contract=sub, systems=[out.tax])
    with pytest.raises(RuleViolation) as exc:  # dropping all its systems would widen or empty it
        svc.contract_update(actor=out.officer, contract=contract, systems=[out.jinji_system])
    assert exc.value.field == "systems"
    assert set(Contract.objects.get(pk=contract.pk).systems.all()) == {out.jinji_system, out.tax}


# --- external services (A13) -------------------------------------------------------------------


SECTIONS = dict(
    information="職員の勤怠情報（機密性2）",
    foreign_law_risk="国内法のみ適用",
    work_location="日本国内",
    governing_law="日本法",
    court="札幌地方裁判所",
    exit_plan="CSVで全件取得し移行",
    security_design="TLS1.2以上、保存時暗号化",
    reliability="ISMAP登録を確認",
)


def _service(out):
    return svc.service_create(
        actor=out.officer, name="勤怠クラウド", provider="クラウド株式会社", organization=out.world.shokuin
    )


@pytest.mark.clause("A13.1")
def test_an_assessment_needs_every_section_of_article_13(out):
    service = _service(out)
    for field in SECTIONS:
        partial = {**SECTIONS, field: " "}
        with pytest.raises(RuleViolation) as exc:
            svc.assessment_record(
                actor=out.officer,
                service=service,
                assessed_on=timezone.localdate(),
                may_entrust=True,
                **partial,
            )
        assert exc.value.field == field and exc.value.clause == "A13.1"
    today = timezone.localdate()
    svc.assessment_record(actor=out.officer, service=service, assessed_on=today, may_entrust=True, **SECTIONS)
    service.refresh_from_db()
    assert service.next_assessment_on == svc.add_months(today, 12)


@pytest.mark.clause("A13.2")
@pytest.mark.clause("A13.1")
def test_a_service_is_used_only_after_assessment_evidence_and_consultation(out):
    service = _service(out)
    today = timezone.localdate()
    with pytest.raises(RuleViolation) as exc:
        svc.service_start_use(actor=out.officer, service=service)
    assert exc.value.clause == "A13.2"
    c = svc.consultation_create(actor=out.officer, service=service, reason="初回利用")
    svc.consultation_submit(actor=out.officer, application=c)
    svc.consultation_complete(actor=out.it_head, application=c, answer=ConsultationAnswer.AGREE)
    with pytest.raises(RuleViolation) as exc:
        svc.service_start_use(actor=out.officer, service=service)
    assert exc.value.clause == "A13.1"
    svc.assessment_record(
        actor=out.officer, service=service, assessed_on=today, may_entrust=False, **SECTIONS
    )
    with pytest.raises(RuleViolation):  # (1): the information may not be entrusted
        svc.service_start_use(actor=out.officer, service=service)
    svc.assessment_record(actor=out.officer, service=service, assessed_on=today, may_entrust=True, **SECTIONS)
    with pytest.raises(RuleViolation):  # (5): no evidence yet
        svc.service_start_use(actor=out.officer, service=service)
    svc.evidence_add(
        actor=out.officer,
        service=service,
        kind=EvidenceKind.ISMAP,
        reference="ISMAP C23-0001",
        issued_on=today - dt.timedelta(days=30),
        expires_on=today + dt.timedelta(days=300),
    )
    service = svc.service_start_use(actor=out.officer, service=service)
    assert service.status == ServiceStatus.IN_USE
    service.refresh_from_db()
    assert service.next_assessment_on == today + dt.timedelta(days=300)  # evidence expiry brings it forward


@pytest.mark.clause("A13.1")
def test_evidence_expiry_is_reminded_once_before_and_noted_when_it_expires(out):
    service = _service(out)
    today = timezone.localdate()
    ev = svc.evidence_add(
        actor=out.officer,
        service=service,
        kind=EvidenceKind.ISO27001,
        reference="JQA-IM0000",
        issued_on=today - dt.timedelta(days=700),
        expires_on=today + dt.timedelta(days=90),
    )
    officer = out.world.people["shokuin_head"]
    assert svc.outsourcing_run_due(today=today)["evidence_reminders"] == 0  # 90 days ahead: not yet
    soon = ev.expires_on - dt.timedelta(days=svc.EVIDENCE_REMINDER_DAYS)
    assert svc.outsourcing_run_due(today=soon)["evidence_reminders"] == 1
    assert svc.outsourcing_run_due(today=soon + dt.timedelta(days=1))["evidence_reminders"] == 0  # once
    assert (
        Notification.objects.filter(
            recipient=officer, clause="A13.1", subject__contains="勤怠クラウド"
        ).count()
        >= 1
    )
    counts = svc.outsourcing_run_due(today=ev.expires_on)
    assert counts["evidence_expired"] == 1
    assert svc.outsourcing_run_due(today=ev.expires_on)["evidence_expired"] == 0


@pytest.mark.clause("A13.1")
def test_reliability_evidence_must_expire_after_its_date(out):
    service = _service(out)
    with pytest.raises(RuleViolation) as exc:
        svc.evidence_add(
            actor=out.officer,
            service=service,
            kind=EvidenceKind.SOC2,
            reference="SOC2 Type2",
            issued_on=dt.date(2025, 1, 1),
            expires_on=dt.date(2025, 1, 1),
        )
    assert exc.value.field == "expires_on"


@pytest.mark.clause("A12.1")
def test_checklist_reviews_are_reminded(out):
    contract = _contract(out)
    entry = contract.checklist.first()
    today = timezone.localdate()
    svc.checklist_update(
        actor=out.officer, entry=entry, state=CheckState.CONFIRMED, review_on=today + dt.timedelta(days=10)
    )
    assert svc.outsourcing_run_due(today=today)["review_reminders"] == 1
    assert svc.outsourcing_run_due(today=today)["review_reminders"] == 0


def test_the_configurator_corrects_a_contractor_and_it_is_audited(out):
    with pytest.raises(PermissionDenied):
        svc.contractor_update(actor=out.officer, contractor=out.contractor, name="x")
    with pytest.raises(RuleViolation):
        svc.contractor_update(
            actor=out.configurator, contractor=out.contractor, name="x", corporate_number="12"
        )
    c = svc.contractor_update(
        actor=out.configurator,
        contractor=out.contractor,
        name="北見情報サービス(株)",
        corporate_number="1234567890123",
    )
    assert c.name == "北見情報サービス(株)"
    assert AuditEvent.objects.filter(action=AuditAction.CONTRACTOR_UPDATED).exists()


@pytest.mark.clause("A5.9")
@pytest.mark.clause("A8.8")
def test_only_staff_of_an_active_contract_covering_the_system_are_eligible_as_the_service_allows(out):
    from kengen.grants.services import check_maintenance_limit
    from kengen.people.choices import PersonKind
    from kengen.people.models import Person
    from kengen.people.services import person_create

    def engineer(family: str, kana: str) -> Person:
        return person_create(
            actor=None,
            family_name=family,
            given_name="花子",
            family_name_kana=kana,
            given_name_kana="ハナコ",
            kind=PersonKind.MAINTENANCE,
            contractor=out.contractor,
        )

    today = timezone.localdate()
    on_tax = _active(out, systems=[out.tax])  # covers the core package through its business system
    svc.contract_staff_add(actor=out.officer, contract=on_tax, person=out.engineer)
    later = engineer("後任", "コウニン")  # joins the contract next month
    svc.contract_staff_add(
        actor=out.officer, contract=on_tax, person=later, valid_from=today + dt.timedelta(days=30)
    )
    elsewhere = engineer("別系統", "ベツケイトウ")  # on a contract for another system only
    svc.contract_staff_add(actor=out.officer, contract=_active(out), person=elsewhere)
    draft = engineer("未承認", "ミショウニン")  # on a contract not yet activated
    svc.contract_staff_add(actor=out.officer, contract=_contract(out, systems=[out.core]), person=draft)
    ended = engineer("終了", "シュウリョウ")  # on a contract that has ended
    gone = _active(out, systems=[out.core])
    svc.contract_staff_add(actor=out.officer, contract=gone, person=ended)
    svc.contract_end(actor=out.officer, contract=gone, on=today)
    engineer("無契約", "ムケイヤク")  # on no contract at all

    people = Person.objects.filter(kind=PersonKind.MAINTENANCE)
    eligible = maintenance_eligible(people, out.core, today)
    assert [(e.person, e.contract, e.until) for e in eligible] == [
        (later, on_tax, on_tax.valid_to),
        (out.engineer, on_tax, on_tax.valid_to),
    ]
    assert eligible[0].valid_from == today + dt.timedelta(days=30) and eligible[1].valid_from == today
    assert maintenance_eligible(people, out.tax, today) == eligible  # asked of a business system too
    # Exactly those the service lets be registered from the day they may start.
    for person in people:
        match = next((e for e in eligible if e.person == person), None)
        start = match.valid_from if match else today
        if match:
            check_maintenance_limit(person, out.core, start, match.until)
        else:
            with pytest.raises(RuleViolation) as exc:
                check_maintenance_limit(person, out.core, start, start + dt.timedelta(days=1))
            assert exc.value.clause == "A5.9"
