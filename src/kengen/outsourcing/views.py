"""The outsourcing pages (A12, A13): the contract register and each contract's page, the
consultations with the IT division head and the subcontracting permissions (on the shared
workflow), the responsibility matrix, external services and their assessments, and the
contractors with their maintenance staff (the configuration administrator, A14)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kengen.audit.exports import audited_export
from kengen.contractors.models import Contractor
from kengen.core.access import audit_refusal, get_visible
from kengen.core.exceptions import NotFound
from kengen.core.exports import Table
from kengen.core.forms import client_ip
from kengen.core.models import exclusive_end
from kengen.core.permissions import require_configurator
from kengen.core.refusals import back_on_refusal, refusals_on
from kengen.core.views import export_format, paginate
from kengen.organizations.models import Organization
from kengen.organizations.selectors import OrgTree
from kengen.outsourcing import pdf
from kengen.outsourcing.choices import ContractStatus, ServiceStatus
from kengen.outsourcing.forms import (
    AnswerForm,
    AssessmentForm,
    ChecklistForm,
    ConsultForm,
    ContractEditForm,
    ContractForm,
    ContractorForm,
    EndForm,
    EvidenceForm,
    MaintenanceStaffForm,
    ResponsibilityForm,
    ServiceForm,
    StaffAddForm,
    SubcontractForm,
    UploadForm,
)
from kengen.outsourcing.models import (
    ChecklistEntry,
    Consultation,
    Contract,
    EvidenceFile,
    ExternalService,
    SubcontractPermission,
)
from kengen.outsourcing.responses import evidence_response
from kengen.outsourcing.selectors import contract_accounts, responsibility_matrix, visible_evidence_files
from kengen.outsourcing.services import (
    CONSULTATION,
    SUBCONTRACT,
    assessment_record,
    checklist_update,
    consultation_complete,
    consultation_create,
    contract_activate,
    contract_create,
    contract_end,
    contract_staff_add,
    contract_update,
    contractor_update,
    evidence_add,
    evidence_upload,
    responsibility_set,
    service_create,
    service_start_use,
    subcontract_permission_create,
    subcontract_permission_grant,
)
from kengen.people.choices import PersonKind
from kengen.people.models import Person
from kengen.roles.selectors import scope_for
from kengen.systems.models import System
from kengen.workflow.views import action_view, pdf_views, workflow_detail_context, workflow_list_context


def _sections(user, on: dt.date) -> list[tuple[int, str]]:
    """Units the user may register contracts and services for: their security units and below
    (everything for the configuration administrator)."""
    scope = scope_for(user)
    tree = OrgTree(on)
    ids = set(tree.by_id) if scope.is_configurator else scope.officer_org_ids & set(tree.by_id)
    return sorted(((i, tree.full_name(i)) for i in ids), key=lambda c: c[1])


def _contractor_choices() -> list[tuple[int, str]]:
    return [(c.pk, c.name) for c in Contractor.objects.order_by("kana", "name")]


def _read_files(upload) -> tuple[str, bytes]:
    """The uploaded file's name and content, read at most one byte past the limit."""
    from kengen.outsourcing import services

    return upload.name, upload.read(services.EVIDENCE_MAX_BYTES + 1)


# --- the register ------------------------------------------------------------------------------


def _register_table(contracts) -> Table:
    return Table(
        title=_("Outsourcing register"),
        headers=[
            _("Contractor"),
            _("Title"),
            _("Kind of work"),
            _("Systems"),
            _("Responsible section"),
            _("First day"),
            _("Last day"),
            _("Status"),
            _("Subcontract of"),
        ],
        rows=(
            [
                c.contractor.name,
                c.title,
                c.get_work_display(),
                "、".join(s.name for s in c.systems.all()),
                c.organization.name,
                c.valid_from,
                c.last_day,
                c.get_status_display(),
                c.parent.title if c.parent else "",
            ]
            for c in contracts.iterator(chunk_size=500)
        ),
    )


@login_required
def contract_list(request):
    contracts = (
        Contract.objects.restrict(request.user)
        .select_related("contractor", "organization", "parent")
        .prefetch_related("systems")
        .order_by("-valid_from", "title", "pk")
    )
    status = request.GET.get("status", "")
    if status in ContractStatus.values:
        contracts = contracts.filter(status=status)
    if request.GET.get("format") == "pdf":
        return pdf.response(pdf.render_register(list(contracts[:2000])), "outsourcing-register.pdf")
    if exported := export_format(request):
        fmt, encoding = exported
        return audited_export(
            request,
            _register_table(contracts),
            fmt=fmt,
            encoding=encoding,
            filename="outsourcing-register",
            label="outsourcing register",
            details={"status": status},
            count=contracts.count,
        )
    scope = scope_for(request.user)
    return render(
        request,
        "outsourcing/contract_list.html",
        {
            "status": status,
            "statuses": ContractStatus.choices,
            "can_create": scope.is_configurator or scope.is_officer,
            **paginate(request, contracts),
        },
    )


@login_required
def contract_new(request):
    today = timezone.localdate()
    systems = [(s.pk, s.name) for s in System.objects.as_of(today).order_by("sort_order", "code")]
    form = ContractForm(
        request.POST or None,
        contractors=_contractor_choices(),
        systems=systems,
        organizations=_sections(request.user, today),
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        with refusals_on(form, fields={"valid_to": "last_day", "systems": "systems", "title": "title"}):
            contract = contract_create(
                actor=request.user,
                contractor=Contractor.objects.get(pk=d["contractor"]),
                title=d["title"],
                work=d["work"],
                systems=list(System.objects.filter(pk__in=d["systems"])),
                organization=Organization.objects.get(pk=d["organization"]),
                valid_from=d["valid_from"],
                valid_to=exclusive_end(d["last_day"]),
            )
            messages.success(
                request, _("The contract was registered. Consult the IT division head before activating it.")
            )
            return redirect("outsourcing:contract_detail", contract.pk)
    return render(request, "outsourcing/contract_new.html", {"form": form})


@login_required
def contract_edit(request, pk: int):
    """Change a registered contract: period, systems, kind of work, responsible section (A12.1);
    the service re-checks the rules and cuts maintenance IDs back to a shortened period (A5.9)."""
    contract = get_visible(Contract, request.user, action="change", pk=pk, ip_address=client_ip(request))
    today = timezone.localdate()
    current = list(contract.systems.all())
    offered = System.objects.as_of(today).order_by("sort_order", "code")
    systems = [(s.pk, s.name) for s in offered] + [(s.pk, s.name) for s in current if s not in offered]
    sections = _sections(request.user, today)
    if contract.organization_id not in {pk for pk, _name in sections}:
        sections.insert(0, (contract.organization_id, contract.organization.name))
    initial = {
        "title": contract.title,
        "work": contract.work,
        "systems": [s.pk for s in current],
        "organization": contract.organization_id,
        "valid_from": contract.valid_from,
        "last_day": contract.last_day,
    }
    form = ContractEditForm(request.POST or None, initial=initial, systems=systems, organizations=sections)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        fields = {"valid_to": "last_day", "systems": "systems", "title": "title", "work": "work"}
        with refusals_on(form, fields={**fields, "organization": "organization", "valid_from": "valid_from"}):
            contract_update(
                actor=request.user,
                contract=contract,
                title=d["title"],
                work=d["work"],
                systems=list(System.objects.filter(pk__in=d["systems"])),
                organization=Organization.objects.get(pk=d["organization"]),
                valid_from=d["valid_from"],
                valid_to=exclusive_end(d["last_day"]),
            )
            messages.success(request, _("The contract was changed."))
            return redirect("outsourcing:contract_detail", contract.pk)
    return render(request, "outsourcing/contract_new.html", {"form": form, "contract": contract})


def _contract_context(request, contract: Contract) -> dict:
    can_change = Contract.objects.restrict(request.user, "change").filter(pk=contract.pk).exists()
    scope = scope_for(request.user)
    today = timezone.localdate()
    systems = [(s.pk, s.name) for s in contract.systems.all()]
    people = [
        (p.pk, p.full_name)
        for p in Person.objects.filter(kind=PersonKind.MAINTENANCE, contractor=contract.contractor)
        .exclude(contract_roles__contract=contract)
        .order_by("family_name_kana", "given_name_kana")
    ]
    others = [c for c in _contractor_choices() if c[0] != contract.contractor_id]
    covered = contract.systems.filter(pk__in=scope.administered_system_ids).exists()
    consultations = contract.consultations.order_by("-created_at")
    return {
        "contract": contract,
        "can_change": can_change,
        "can_consult": contract.organization_id in scope.officer_org_ids
        and contract.parent_id is None
        and contract.status == ContractStatus.DRAFT,
        "can_apply_subcontract": (scope.is_configurator or covered)
        and contract.status != ContractStatus.ENDED,
        "consultations": consultations,
        "agreed": any(c.agreed for c in consultations),
        "checklist": contract.checklist.prefetch_related("files").select_related("confirmed_by"),
        "checklist_form": ChecklistForm(),
        "upload_form": UploadForm(),
        "responsibilities": contract.responsibilities.select_related("system"),
        "responsibility_form": ResponsibilityForm(systems=systems),
        "staff": contract.staff.select_related("person"),
        "staff_form": StaffAddForm(people=people) if people else None,
        "accounts": contract_accounts(contract),
        "subcontracts": contract.subcontracts.select_related("contractor"),
        "permissions": contract.subcontract_permissions.select_related("subcontractor"),
        "subcontract_form": SubcontractForm(contractors=others),
        "consult_form": ConsultForm(),
        "end_form": EndForm(initial={"on": today}),
        "today": today,
    }


@login_required
def contract_detail(request, pk: int):
    contract = get_visible(Contract, request.user, pk=pk, ip_address=client_ip(request))
    return render(request, "outsourcing/contract_detail.html", _contract_context(request, contract))


def _back(contract: Contract, anchor: str = ""):
    response = redirect("outsourcing:contract_detail", contract.pk)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


def _form_errors(request, form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


@login_required
@require_POST
@back_on_refusal("outsourcing:contract_detail", "pk")
def contract_action(request, pk: int, action: str):
    """The contract page's buttons; refusals come back as messages on the page."""
    contract = get_visible(Contract, request.user, pk=pk, ip_address=client_ip(request))
    form: forms.Form
    if action == "activate":
        contract_activate(actor=request.user, contract=contract)
        messages.success(request, _("The contract is active."))
    elif action == "end":
        form = EndForm(request.POST)
        if not form.is_valid():
            _form_errors(request, form)
            return _back(contract)
        contract_end(
            actor=request.user, contract=contract, on=form.cleaned_data["on"], note=form.cleaned_data["note"]
        )
        messages.success(
            request, _("The contract ended; its maintenance staff's IDs and permissions ended with it.")
        )
    elif action == "consult":
        form = ConsultForm(request.POST)
        if not form.is_valid():
            _form_errors(request, form)
            return _back(contract)
        app = consultation_create(actor=request.user, contract=contract, reason=form.cleaned_data["reason"])
        messages.success(
            request,
            _("Consultation %(number)s was saved as a draft. Check it and submit it.")
            % {"number": app.number},
        )
        return redirect("outsourcing:consultation_detail", app.pk)
    elif action == "staff":
        form = StaffAddForm(request.POST, people=[(int(request.POST.get("person", 0) or 0), "")])
        if not form.is_valid():
            _form_errors(request, form)
            return _back(contract, "staff")
        person = Person.objects.filter(pk=form.cleaned_data["person"]).first()
        if person is None:
            raise NotFound(_("Not found."))
        contract_staff_add(actor=request.user, contract=contract, person=person)
        messages.success(request, _("%(name)s was added to the contract.") % {"name": person.full_name})
        return _back(contract, "staff")
    elif action == "responsibility":
        form = ResponsibilityForm(request.POST, systems=[(s.pk, s.name) for s in contract.systems.all()])
        if not form.is_valid():
            _form_errors(request, form)
            return _back(contract, "responsibilities")
        d = form.cleaned_data
        responsibility_set(
            actor=request.user,
            contract=contract,
            system=System.objects.get(pk=d["system"]),
            duties=d["duties"],
            contact=d["contact"],
            coordination=d["coordination"],
        )
        messages.success(request, _("The responsibility was recorded."))
        return _back(contract, "responsibilities")
    elif action == "subcontract":
        form = SubcontractForm(request.POST, contractors=_contractor_choices())
        if not form.is_valid():
            _form_errors(request, form)
            return _back(contract, "subcontracts")
        permission = subcontract_permission_create(
            actor=request.user,
            contract=contract,
            subcontractor=Contractor.objects.get(pk=form.cleaned_data["subcontractor"]),
            work_scope=form.cleaned_data["work_scope"],
        )
        messages.success(
            request,
            _("Application %(number)s was saved as a draft. Check it and submit it.")
            % {"number": permission.number},
        )
        return redirect("outsourcing:subcontract_detail", permission.pk)
    else:
        return HttpResponse(status=404)
    return _back(contract)


@login_required
@require_POST
@back_on_refusal("outsourcing:contract_list")
def checklist_action(request, pk: int, action: str):
    entry = get_visible(ChecklistEntry, request.user, pk=pk, ip_address=client_ip(request))
    form: forms.Form
    if action == "update":
        form = ChecklistForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            checklist_update(
                actor=request.user, entry=entry, state=d["state"], note=d["note"], review_on=d["review_on"]
            )
            messages.success(request, _("Recorded: %(item)s") % {"item": entry.get_item_display()})
        else:
            _form_errors(request, form)
    elif action == "upload":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            name, data = _read_files(form.cleaned_data["file"])
            evidence_upload(actor=request.user, entry=entry, name=name, data=data)
            messages.success(request, _("The evidence file was uploaded."))
        else:
            _form_errors(request, form)
    else:
        return HttpResponse(status=404)
    return _back(entry.contract, "checklist")


@login_required
def evidence_download(request, pk: int):
    """An evidence file, only to those who may see its contract or service; always a download,
    never rendered by the browser (a crafted file cannot run script on Kengen's origin)."""
    file = visible_evidence_files(request.user).filter(pk=pk).first()
    if file is None:
        hidden = EvidenceFile.objects.filter(pk=pk).first()
        if hidden is not None:
            audit_refusal(request.user, hidden, action="view", ip_address=client_ip(request))
        raise NotFound(_("Not found."))
    return evidence_response(file)


@login_required
def matrix(request):
    """A12.1(3): per system, every contractor working on it and what they are responsible for."""
    today = timezone.localdate()
    rows = responsibility_matrix(Contract.objects.restrict(request.user), on=today)
    return render(request, "outsourcing/matrix.html", {"matrix": rows, "today": today})


# --- the consultations and the subcontracting permissions (workflow forms) ----------------------


@login_required
def consultation_list(request):
    apps = Consultation.objects.restrict(request.user).select_related(
        "organization", "contract__contractor", "service"
    )
    context = workflow_list_context(request, Consultation, apps)
    if scope_for(request.user).is_core_admin:
        context["to_decide"] = (
            Consultation.objects.restrict(request.user, "decide").filter(status="submitted").count()
        )
    return render(request, "outsourcing/consultation_list.html", context)


@login_required
def consultation_detail(request, pk: int):
    app = get_visible(Consultation, request.user, pk=pk, ip_address=client_ip(request))
    return render(
        request,
        "outsourcing/consultation_detail.html",
        {**workflow_detail_context(request, app), "answer_form": AnswerForm()},
    )


def _answer(request, app: Consultation) -> str:
    form = AnswerForm(request.POST)
    answer = request.POST.get("answer", "") if not form.is_valid() else form.cleaned_data["answer"]
    comment = form.cleaned_data.get("comment", "") if form.is_valid() else request.POST.get("comment", "")
    consultation_complete(actor=request.user, application=app, answer=answer, comment=comment[:2000])
    return _("Your answer was recorded and sent to the security officer.")


consultation_action = action_view(
    CONSULTATION,
    decide=("complete", _answer),
    rejected_message=gettext_lazy("Returned to the security officer."),
)
consultation_pdf, consultation_blank_pdf = pdf_views(Consultation, pdf.render_consultation, "consultation")


@login_required
def subcontract_list(request):
    apps = SubcontractPermission.objects.restrict(request.user).select_related(
        "contract", "subcontractor", "organization"
    )
    context = workflow_list_context(request, SubcontractPermission, apps)
    if scope_for(request.user).officer_org_ids:
        context["to_decide"] = (
            SubcontractPermission.objects.restrict(request.user, "decide").filter(status="submitted").count()
        )
    return render(request, "outsourcing/subcontract_list.html", context)


@login_required
def subcontract_detail(request, pk: int):
    app = get_visible(SubcontractPermission, request.user, pk=pk, ip_address=client_ip(request))
    return render(request, "outsourcing/subcontract_detail.html", workflow_detail_context(request, app))


def _permit(request, app: SubcontractPermission) -> str:
    subcontract_permission_grant(actor=request.user, application=app)
    return _("Subcontracting was permitted; the subcontract was registered with the same security measures.")


subcontract_action = action_view(
    SUBCONTRACT, decide=("complete", _permit), rejected_message=gettext_lazy("Subcontracting was refused.")
)
subcontract_pdf, subcontract_blank_pdf = pdf_views(
    SubcontractPermission, pdf.render_subcontract, "subcontract"
)


# --- external services (A13) -------------------------------------------------------------------


@login_required
def service_list(request):
    services = (
        ExternalService.objects.restrict(request.user).select_related("organization").order_by("name", "pk")
    )
    if exported := export_format(request):
        fmt, encoding = exported
        table = Table(
            title=_("External services"),
            headers=[
                _("Service"),
                _("Provider"),
                _("Responsible section"),
                _("Status"),
                _("In use from"),
                _("Next assessment"),
            ],
            rows=(
                [
                    s.name,
                    s.provider,
                    s.organization.name,
                    s.get_status_display(),
                    s.in_use_from,
                    s.next_assessment_on,
                ]
                for s in services.iterator(chunk_size=500)
            ),
        )
        return audited_export(
            request,
            table,
            fmt=fmt,
            encoding=encoding,
            filename="external-services",
            label="external services",
            details={},
            count=services.count,
        )
    scope = scope_for(request.user)
    return render(
        request,
        "outsourcing/service_list.html",
        {
            "can_create": scope.is_configurator or scope.is_officer,
            "today": timezone.localdate(),
            **paginate(request, services),
        },
    )


@login_required
def service_new(request):
    form = ServiceForm(request.POST or None, organizations=_sections(request.user, timezone.localdate()))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        with refusals_on(form, fields=True):
            service = service_create(
                actor=request.user,
                name=d["name"],
                provider=d["provider"],
                purpose=d["purpose"],
                organization=Organization.objects.get(pk=d["organization"]),
                reassess_months=d["reassess_months"],
            )
            messages.success(
                request,
                _("The service was registered. Assess it (Art. 13(1)) and consult the IT division head."),
            )
            return redirect("outsourcing:service_detail", service.pk)
    return render(request, "outsourcing/service_new.html", {"form": form})


@login_required
def service_detail(request, pk: int):
    service = get_visible(ExternalService, request.user, pk=pk, ip_address=client_ip(request))
    scope = scope_for(request.user)
    consultations = service.consultations.order_by("-created_at")
    return render(
        request,
        "outsourcing/service_detail.html",
        {
            "service": service,
            "can_change": ExternalService.objects.restrict(request.user, "change").filter(pk=pk).exists(),
            "can_consult": service.organization_id in scope.officer_org_ids
            and service.status == ServiceStatus.PLANNED,
            "consultations": consultations,
            "agreed": any(c.agreed for c in consultations),
            "assessments": service.assessments.select_related("assessed_by"),
            "evidence": service.evidence.prefetch_related("files"),
            "evidence_form": EvidenceForm(),
            "consult_form": ConsultForm(),
            "today": timezone.localdate(),
        },
    )


@login_required
def service_assess(request, pk: int):
    service = get_visible(
        ExternalService, request.user, action="change", pk=pk, ip_address=client_ip(request)
    )
    latest = service.assessments.first()
    initial = {"assessed_on": timezone.localdate()}
    form = AssessmentForm(request.POST or None, instance=None, initial=initial)
    if latest is not None and request.method != "POST":
        form = AssessmentForm(
            initial={**{f: getattr(latest, f) for f in AssessmentForm.Meta.fields}, **initial}
        )
    if request.method == "POST" and form.is_valid():
        d = dict(form.cleaned_data)
        with refusals_on(form, fields=True):
            assessment_record(
                actor=request.user,
                service=service,
                assessed_on=d.pop("assessed_on"),
                may_entrust=d.pop("may_entrust"),
                **d,
            )
            messages.success(request, _("The assessment was recorded."))
            return redirect("outsourcing:service_detail", service.pk)
    return render(request, "outsourcing/service_assess.html", {"service": service, "form": form})


@login_required
@require_POST
@back_on_refusal("outsourcing:service_detail", "pk")
def service_action(request, pk: int, action: str):
    service = get_visible(ExternalService, request.user, pk=pk, ip_address=client_ip(request))
    form: forms.Form
    if action == "consult":
        form = ConsultForm(request.POST)
        if not form.is_valid():
            _form_errors(request, form)
            return redirect("outsourcing:service_detail", pk)
        app = consultation_create(actor=request.user, service=service, reason=form.cleaned_data["reason"])
        messages.success(
            request,
            _("Consultation %(number)s was saved as a draft. Check it and submit it.")
            % {"number": app.number},
        )
        return redirect("outsourcing:consultation_detail", app.pk)
    if action == "start":
        service_start_use(actor=request.user, service=service)
        messages.success(request, _("The service is in use."))
    elif action == "evidence":
        form = EvidenceForm(request.POST, request.FILES)
        if not form.is_valid():
            _form_errors(request, form)
            return redirect("outsourcing:service_detail", pk)
        d = form.cleaned_data
        from django.db import transaction

        with transaction.atomic():  # the evidence and its file, or neither
            evidence = evidence_add(
                actor=request.user,
                service=service,
                kind=d["kind"],
                reference=d["reference"],
                issued_on=d["issued_on"],
                expires_on=d["expires_on"],
            )
            if d["file"]:
                name, data = _read_files(d["file"])
                evidence_upload(actor=request.user, reliability=evidence, name=name, data=data)
        messages.success(request, _("The evidence was recorded."))
    else:
        return HttpResponse(status=404)
    return redirect("outsourcing:service_detail", pk)


@login_required
def service_export(request, pk: int, fmt: str):
    """The service's latest assessment as PDF or Excel (A13.1)."""
    service = get_visible(ExternalService, request.user, pk=pk, ip_address=client_ip(request))
    if fmt == "pdf":
        return pdf.response(pdf.render_assessment(service), f"assessment-{service.pk}.pdf")
    if fmt != "xlsx":
        return HttpResponse(status=404)
    return audited_export(
        request,
        pdf.assessment_table(service),
        fmt="xlsx",
        encoding="utf-8-sig",
        filename=f"assessment-{service.pk}",
        label=f"external service assessment {service.pk}",
        details={"service": service.pk},
    )


# --- contractors and their staff (the configuration administrator, A14) -------------------------


@login_required
def contractor_list(request):
    scope = scope_for(request.user)
    contractors = Contractor.objects.restrict(request.user)
    if scope.is_configurator:
        contractors = Contractor.objects.all()
    return render(
        request,
        "outsourcing/contractor_list.html",
        {
            "can_create": scope.is_configurator,
            **paginate(request, contractors.order_by("kana", "name", "pk")),
        },
    )


@login_required
def contractor_new(request):
    from kengen.contractors.services import contractor_create

    require_configurator(request.user)
    form = ContractorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with refusals_on(form, fields=True):
            contractor = contractor_create(actor=request.user, **form.cleaned_data)
            messages.success(request, _("The contractor was registered."))
            return redirect("outsourcing:contractor_detail", contractor.pk)
    return render(request, "outsourcing/contractor_form.html", {"form": form})


def _contractor(request, pk: int) -> Contractor:
    if scope_for(request.user).is_configurator:
        found = Contractor.objects.filter(pk=pk).first()
        if found is None:
            raise NotFound(_("Not found."))
        return found
    return get_visible(Contractor, request.user, pk=pk, ip_address=client_ip(request))


@login_required
def contractor_detail(request, pk: int):
    contractor = _contractor(request, pk)
    is_configurator = scope_for(request.user).is_configurator
    edit = ContractorForm(
        request.POST if request.POST.get("form") == "edit" else None,
        initial={
            "name": contractor.name,
            "kana": contractor.kana,
            "corporate_number": contractor.corporate_number,
        },
    )
    staff_form = MaintenanceStaffForm(request.POST if request.POST.get("form") == "staff" else None)
    if request.method == "POST":
        require_configurator(request.user)
        if request.POST.get("form") == "edit" and edit.is_valid():
            with refusals_on(edit, fields=True):
                contractor_update(actor=request.user, contractor=contractor, **edit.cleaned_data)
                messages.success(request, _("The contractor was updated."))
                return redirect("outsourcing:contractor_detail", pk)
        if request.POST.get("form") == "staff" and staff_form.is_valid():
            from kengen.people.services import person_create

            with refusals_on(staff_form, fields=True):
                person = person_create(
                    actor=request.user,
                    kind=PersonKind.MAINTENANCE,
                    contractor=contractor,
                    **staff_form.cleaned_data,
                )
                messages.success(
                    request, _("%(name)s was registered as maintenance staff.") % {"name": person.full_name}
                )
                return redirect("outsourcing:contractor_detail", pk)
    contracts = Contract.objects.restrict(request.user).filter(contractor=contractor).order_by("-valid_from")
    staff = Person.objects.filter(kind=PersonKind.MAINTENANCE, contractor=contractor).order_by(
        "family_name_kana", "given_name_kana"
    )
    return render(
        request,
        "outsourcing/contractor_detail.html",
        {
            "contractor": contractor,
            "is_configurator": is_configurator,
            "edit_form": edit,
            "staff_form": staff_form,
            "contracts": contracts,
            "staff": staff,
        },
    )
