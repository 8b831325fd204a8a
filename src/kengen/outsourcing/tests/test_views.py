"""The outsourcing pages: who may see and do what (the section's officer, another section's
officer, the IT division head, the auditor, the configuration administrator), uploads, PDFs and
exports."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kengen.audit.choices import AuditAction
from kengen.audit.models import AuditEvent
from kengen.outsourcing import services as svc
from kengen.outsourcing.choices import ConsultationAnswer, ContractStatus, WorkKind
from kengen.outsourcing.models import Consultation, Contract, EvidenceFile
from kengen.outsourcing.tests.conftest import period
from kengen.people.choices import PersonKind
from kengen.people.models import Person
from kengen.testing import START, login, staff, user_for
from kengen.workflow.choices import WorkflowStatus

PDF = b"%PDF-1.4\n%evidence\n"


def _contract(out) -> Contract:
    start, end = period()
    return svc.contract_create(
        actor=out.officer,
        contractor=out.contractor,
        title="人事給与システム保守",
        work=WorkKind.MAINTENANCE,
        systems=[out.jinji_system],
        organization=out.world.shokuin,
        valid_from=start,
        valid_to=end,
    )


@pytest.fixture
def auditor(out):
    from kengen.roles.choices import DesignatedRoleKind
    from kengen.roles.services import role_designate

    user = user_for(staff(out.world.jinji, family="監査", given="担当"), username="auditor")
    role_designate(actor=None, user=user, role=DesignatedRoleKind.AUDITOR, valid_from=START)
    return user


@pytest.mark.clause("A12.1")
@pytest.mark.clause("A12.2")
def test_the_officer_registers_consults_and_activates_through_the_pages(client, out):
    login(client, out.officer)
    _start, end = period()
    response = client.post(
        reverse("outsourcing:contract_new"),
        {
            "contractor": out.contractor.pk,
            "title": "人事給与システム運用",
            "work": WorkKind.OPERATION,
            "systems": [out.jinji_system.pk],
            "organization": out.world.shokuin.pk,
            "valid_from": "令和6年4月1日",
            "last_day": str(end),
        },
    )
    contract = Contract.objects.get(title="人事給与システム運用")
    assert response.status_code == 302 and contract.valid_to.toordinal() == end.toordinal() + 1
    page = client.get(reverse("outsourcing:contract_detail", args=[contract.pk]))
    assert page.status_code == 200 and "人事給与システム運用" in page.content.decode()
    refused = client.post(reverse("outsourcing:contract_action", args=[contract.pk, "activate"]), follow=True)
    assert "[A12.2]" in refused.content.decode()
    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.DRAFT
    client.post(reverse("outsourcing:contract_action", args=[contract.pk, "consult"]), {"reason": "運用委託"})
    app = Consultation.objects.get(contract=contract)
    client.post(reverse("outsourcing:consultation_action", args=[app.pk, "submit"]))
    assert Consultation.objects.get(pk=app.pk).status == WorkflowStatus.SUBMITTED

    client.logout()
    login(client, out.it_head)
    listing = client.get(reverse("outsourcing:consultation_list"))
    assert app.number in listing.content.decode()
    client.post(
        reverse("outsourcing:consultation_action", args=[app.pk, "complete"]),
        {"answer": ConsultationAnswer.AGREE_WITH_CONDITIONS, "comment": "年1回の報告を求める"},
    )
    app.refresh_from_db()
    assert app.answer == ConsultationAnswer.AGREE_WITH_CONDITIONS and app.status == WorkflowStatus.COMPLETED

    client.logout()
    login(client, out.officer)
    client.post(reverse("outsourcing:contract_action", args=[contract.pk, "activate"]))
    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.ACTIVE
    assert (
        client.get(reverse("outsourcing:consultation_pdf", args=[app.pk]))["Content-Type"]
        == "application/pdf"
    )


def test_another_sections_officer_gets_404_and_the_auditor_reads_only(client, out, auditor):
    contract = _contract(out)
    login(client, out.world.users["shiminzei_head"])
    assert client.get(reverse("outsourcing:contract_detail", args=[contract.pk])).status_code == 404
    assert contract.title not in client.get(reverse("outsourcing:contract_list")).content.decode()
    client.logout()
    login(client, auditor)
    page = client.get(reverse("outsourcing:contract_detail", args=[contract.pk]))
    assert page.status_code == 200 and 'id="activate"' not in page.content.decode()
    entry = contract.checklist.first()
    response = client.post(
        reverse("outsourcing:checklist_action", args=[entry.pk, "upload"]),
        {"file": SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")},
    )
    assert response.status_code == 404 and not EvidenceFile.objects.exists()


@pytest.mark.clause("A12.1")
def test_evidence_is_uploaded_limited_and_served_only_to_authorized_users(client, out, settings):
    contract = _contract(out)
    entry = contract.checklist.first()
    login(client, out.officer)
    url = reverse("outsourcing:checklist_action", args=[entry.pk, "upload"])
    bad = client.post(
        url, {"file": SimpleUploadedFile("x.html", b"<script>", content_type="application/pdf")}, follow=True
    )
    from django.utils.translation import gettext, override

    rule = "Only PDF, PNG and JPEG files are accepted."
    with override("ja"):
        said = (rule, gettext(rule))
    assert any(text in bad.content.decode() for text in said) and not EvidenceFile.objects.exists()
    client.post(url, {"file": SimpleUploadedFile("合意書.pdf", PDF, content_type="application/pdf")})
    f = EvidenceFile.objects.get()
    download = client.get(reverse("outsourcing:evidence_download", args=[f.pk]))
    assert download.status_code == 200 and download.content == PDF
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    client.logout()
    login(client, out.world.users["shiminzei_head"])
    assert client.get(reverse("outsourcing:evidence_download", args=[f.pk])).status_code == 404
    assert AuditEvent.objects.filter(action=AuditAction.ACCESS_DENIED, target_id=str(f.pk)).exists()


def test_register_exports_and_pdfs(client, out, auditor):
    contract = _contract(out)
    login(client, auditor)
    xlsx = client.get(reverse("outsourcing:contract_list") + "?format=xlsx")
    assert (
        xlsx.status_code == 200
        and b"".join(xlsx.streaming_content if xlsx.streaming else [xlsx.content])[:2] == b"PK"
    )
    assert (
        client.get(reverse("outsourcing:contract_list") + "?format=pdf")["Content-Type"] == "application/pdf"
    )
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()
    assert client.get(reverse("outsourcing:matrix")).status_code == 200
    assert client.get(reverse("outsourcing:consultation_blank_pdf")).status_code == 200
    assert client.get(reverse("outsourcing:subcontract_blank_pdf")).status_code == 200
    assert contract.title in client.get(reverse("outsourcing:contract_list")).content.decode()


@pytest.mark.clause("A13.1")
def test_a_service_assessment_page_pdf_and_excel(client, out):
    service = svc.service_create(
        actor=out.officer, name="勤怠クラウド", provider="クラウド株式会社", organization=out.world.shokuin
    )
    login(client, out.officer)
    response = client.post(
        reverse("outsourcing:service_assess", args=[service.pk]),
        {
            "assessed_on": "2026-04-01",
            "information": "勤怠情報",
            "may_entrust": "on",
            "foreign_law_risk": "なし",
            "work_location": "日本国内",
            "governing_law": "日本法",
            "court": "札幌地方裁判所",
            "exit_plan": "CSV出力",
            "security_design": "TLS",
            "reliability": "ISMAP",
        },
    )
    assert response.status_code == 302 and service.assessments.count() == 1
    page = client.get(reverse("outsourcing:service_detail", args=[service.pk]))
    assert "勤怠情報" in page.content.decode()
    pdf = client.get(reverse("outsourcing:service_export", args=[service.pk, "pdf"]))
    assert pdf.content.startswith(b"%PDF")
    xlsx = client.get(reverse("outsourcing:service_export", args=[service.pk, "xlsx"]))
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_the_configurator_keeps_contractors_and_their_staff(client, out):
    login(client, out.officer)
    assert client.post(reverse("outsourcing:contractor_new"), {"name": "x"}).status_code == 403
    client.logout()
    login(client, out.configurator)
    response = client.post(
        reverse("outsourcing:contractor_new"), {"name": "網走システム株式会社", "kana": "アバシリ"}
    )
    assert response.status_code == 302
    from kengen.contractors.models import Contractor

    c = Contractor.objects.get(name="網走システム株式会社")
    client.post(
        reverse("outsourcing:contractor_detail", args=[c.pk]),
        {
            "form": "staff",
            "family_name": "保守",
            "given_name": "花子",
            "family_name_kana": "ホシュ",
            "given_name_kana": "ハナコ",
        },
    )
    assert Person.objects.filter(contractor=c, kind=PersonKind.MAINTENANCE, given_name="花子").exists()
    client.post(
        reverse("outsourcing:contractor_detail", args=[c.pk]),
        {"form": "edit", "name": "網走システム(株)", "kana": "アバシリ", "corporate_number": "1234567890123"},
    )
    c.refresh_from_db()
    assert c.name == "網走システム(株)"


@pytest.mark.clause("A5.9")
def test_the_contract_page_lists_its_maintenance_staff_and_their_ids(client, out):
    from kengen.grants.services import maintenance_account_register

    contract = _contract(out)
    svc.consultation_submit(
        actor=out.officer,
        application=svc.consultation_create(actor=out.officer, contract=contract, reason="x"),
    )
    svc.consultation_complete(
        actor=out.it_head,
        application=Consultation.objects.get(contract=contract),
        answer=ConsultationAnswer.AGREE,
    )
    svc.contract_activate(actor=out.officer, contract=contract)
    login(client, out.officer)
    client.post(
        reverse("outsourcing:contract_action", args=[contract.pk, "staff"]), {"person": out.engineer.pk}
    )
    assert contract.staff.filter(person=out.engineer).exists()
    maintenance_account_register(
        actor=out.officer,  # 職員課長 administers 人事給与システム
        person=out.engineer,
        system=out.jinji_system,
        user_id="hoshu01",
        permissions=[out.jinji_system.permissions.get(code="inquiry")],
        valid_from=START,
        valid_to=contract.valid_to,
    )
    page = client.get(reverse("outsourcing:contract_detail", args=[contract.pk])).content.decode()
    assert "hoshu01" in page and "保守 太郎" in page


@pytest.mark.clause("A12.1")
def test_the_officer_changes_a_contract_on_its_edit_page(client, out):
    import datetime as dt

    from django.utils import timezone

    contract = _contract(out)
    login(client, out.world.users["shiminzei_head"])
    assert client.get(reverse("outsourcing:contract_edit", args=[contract.pk])).status_code == 404
    login(client, out.officer)
    page = client.get(reverse("outsourcing:contract_detail", args=[contract.pk]))
    assert reverse("outsourcing:contract_edit", args=[contract.pk]) in page.content.decode()
    form = client.get(reverse("outsourcing:contract_edit", args=[contract.pk]))
    assert form.status_code == 200 and form.context["form"].initial["title"] == contract.title
    last = timezone.localdate() + dt.timedelta(days=60)
    data = {
        "title": contract.title,
        "work": WorkKind.OPERATION,
        "systems": [out.jinji_system.pk],
        "organization": out.world.shokuin.pk,
        "valid_from": contract.valid_from.isoformat(),
        "last_day": (contract.valid_from - dt.timedelta(days=1)).isoformat(),
    }
    refused = client.post(reverse("outsourcing:contract_edit", args=[contract.pk]), data)
    assert refused.status_code == 200 and refused.context["form"].errors  # the service's rule, on the form
    data["last_day"] = last.isoformat()
    response = client.post(reverse("outsourcing:contract_edit", args=[contract.pk]), data)
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.work == WorkKind.OPERATION and contract.last_day == last
    assert AuditEvent.objects.filter(action=AuditAction.CONTRACT_UPDATED, target_id=str(contract.pk)).exists()


@pytest.mark.clause("A12.2")
@pytest.mark.clause("A12.1")
def test_the_submit_buttons_name_the_forms_addressee(client, out):
    from django.utils.translation import gettext

    contract = _contract(out)
    consultation = svc.consultation_create(actor=out.officer, contract=contract, reason="保守委託")
    login(client, out.officer)
    page = client.get(reverse("outsourcing:consultation_detail", args=[consultation.pk])).content.decode()
    assert gettext("Consult the IT division head") in page
    assert gettext("Submit to the administrator") not in page
    response = client.post(
        reverse("outsourcing:consultation_action", args=[consultation.pk, "submit"]), follow=True
    )
    assert gettext("The consultation was sent to the IT division head.") in response.content.decode()
    permission = svc.subcontract_permission_create(
        actor=out.configurator, contract=contract, subcontractor=out.other, work_scope="障害一次対応"
    )
    login(client, out.configurator)
    page = client.get(reverse("outsourcing:subcontract_detail", args=[permission.pk])).content.decode()
    assert gettext("Ask the security officer for permission") in page
