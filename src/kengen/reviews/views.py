"""Validity-check pages (A5.10, A5.11, A6.5, A6.6): campaigns, the officer's matrix, the paper
check sheet, evidence, schedules and reconciliation. Thin: parse, restrict, call a service."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kengen.core.access import get_visible
from kengen.core.exports import streaming_export_response
from kengen.core.forms import client_ip
from kengen.core.refusals import back_on_refusal, refusals_on
from kengen.core.views import paginate
from kengen.people.models import Person
from kengen.reviews.choices import CampaignStatus, Decision, FindingCategory, FindingStatus, Route
from kengen.reviews.forms import (
    CampaignForm,
    DecisionForm,
    EvidenceForm,
    FindingForm,
    ReconciliationForm,
    RerunForm,
)
from kengen.reviews.models import (
    Finding,
    Reconciliation,
    ReviewCampaign,
    ReviewEvidence,
    ReviewItem,
    ReviewSchedule,
)
from kengen.reviews.pdf import render_check_sheet, render_evidence
from kengen.reviews.selectors import campaign_counts, campaign_matrix, campaign_progress, evidence_table
from kengen.reviews.services import (
    ColumnMapping,
    add_months,
    campaign_finalize,
    campaign_open,
    campaign_rerun,
    evidence_attach,
    finding_update,
    item_decide,
    items_keep_bulk,
    reconciliation_import,
    schedule_create,
)
from kengen.roles.selectors import scope_for
from kengen.systems.models import System


def _campaign(request, pk: int) -> ReviewCampaign:
    return get_visible(ReviewCampaign, request.user, pk=pk, ip_address=client_ip(request))


def _administered_systems(user):
    scope = scope_for(user)
    return System.objects.filter(pk__in=sorted(scope.administered_system_ids), parent__isnull=True).order_by(
        "sort_order", "code"
    )


@login_required
def campaign_list(request):
    campaigns = ReviewCampaign.objects.restrict(request.user).prefetch_related("systems")
    context = paginate(request, campaigns)
    context["can_open"] = bool(scope_for(request.user).administered_system_ids)
    return render(request, "reviews/list.html", context)


@login_required
def campaign_new(request):
    systems = _administered_systems(request.user)
    if not systems.exists():
        raise Http404
    today = timezone.localdate()
    form = CampaignForm(
        request.POST or None,
        systems=systems,
        initial={"as_of": today, "deadline": today + dt.timedelta(days=30), "remind_days": 7},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        with refusals_on(form, fields=True):
            campaign = campaign_open(
                actor=request.user,
                title=d["title"],
                systems=list(d["systems"]),
                as_of=d["as_of"],
                deadline=d["deadline"],
                kind=d["kind"],
                remind_days=d["remind_days"],
            )
            if d.get("repeat_months"):
                months = d["repeat_months"]
                schedule_create(
                    actor=request.user,
                    title=d["title"],
                    systems=list(d["systems"]),
                    next_on=add_months(d["as_of"], months),
                    interval_months=months,
                    deadline_days=max(1, (d["deadline"] - d["as_of"]).days),
                    kind=d["kind"],
                )
            messages.success(request, _("The validity check is open."))
            return redirect("reviews:detail", pk=campaign.pk)
    return render(request, "reviews/new.html", {"form": form})


@login_required
def campaign_detail(request, pk: int):
    campaign = _campaign(request, pk)
    scope = scope_for(request.user)
    section = request.GET.get("section")
    section_id = int(section) if section and section.isdigit() and len(section) < 18 else None
    matrix = campaign_matrix(request.user, campaign, section=section_id)
    is_admin = {s.account_system.id for s in campaign.systems.all()} <= scope.administered_system_ids
    editable = ReviewItem.objects.restrict(request.user, "change").filter(campaign=campaign).exists()
    context = {
        "campaign": campaign,
        "matrix": matrix,
        "counts": campaign_counts(request.user, campaign),
        "progress": campaign_progress(request.user, campaign),
        "is_admin": is_admin,
        "can_decide": editable and campaign.status == CampaignStatus.OPEN,
        "officer_units": sorted(scope.officer_unit_ids),
        "decisions": Decision.choices,
        "evidence": ReviewEvidence.objects.restrict(request.user).filter(campaign=campaign).defer("content"),
        "route_admin": Route.ADMINISTRATOR,
        "rerun_form": RerunForm(initial={"deadline": timezone.localdate() + dt.timedelta(days=14)}),
        "evidence_form": EvidenceForm(),
    }
    return render(request, "reviews/detail.html", context)


@login_required
@require_POST
@back_on_refusal("reviews:detail", "pk")
def item_decide_view(request, pk: int):
    campaign = _campaign(request, pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a decision and give a valid date."))
        return redirect("reviews:detail", pk=campaign.pk)
    d = form.cleaned_data
    item = ReviewItem.objects.restrict(request.user).filter(campaign=campaign, pk=d["item"]).first()
    if item is None:
        raise Http404
    item_decide(
        actor=request.user,
        item=item,
        decision=d["decision"],
        reason=d.get("reason") or "",
        correct_to=d.get("correct_to"),
    )
    messages.success(request, _("Decision recorded."))
    return redirect(f"{reverse('reviews:detail', args=[campaign.pk])}#person-{item.person_id or 0}")


@login_required
@require_POST
@back_on_refusal("reviews:detail", "pk")
def keep_bulk_view(request, pk: int):
    campaign = _campaign(request, pk)
    person_id = request.POST.get("person", "")
    section = request.POST.get("section", "")
    person = None
    if person_id.isdigit() and len(person_id) < 18:
        person = get_visible(Person, request.user, pk=int(person_id), ip_address=client_ip(request))
    section_id = int(section) if section.isdigit() and len(section) < 18 else None
    n = items_keep_bulk(actor=request.user, campaign=campaign, person=person, section=section_id)
    messages.success(request, _("%(n)d permissions kept.") % {"n": n})
    return redirect("reviews:detail", pk=campaign.pk)


@login_required
@require_POST
@back_on_refusal("reviews:detail", "pk")
def finalize_view(request, pk: int):
    campaign = _campaign(request, pk)
    summary = campaign_finalize(actor=request.user, campaign=campaign)
    messages.success(
        request,
        _("Finalized: kept %(kept)d, revoked %(revoked)d, corrected %(corrected)d, undecided %(undecided)d.")
        % summary.as_dict(),
    )
    return redirect("reviews:detail", pk=campaign.pk)


@login_required
@require_POST
@back_on_refusal("reviews:detail", "pk")
def rerun_view(request, pk: int):
    campaign = _campaign(request, pk)
    form = RerunForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a valid deadline."))
        return redirect("reviews:detail", pk=campaign.pk)
    rerun = campaign_rerun(actor=request.user, campaign=campaign, deadline=form.cleaned_data["deadline"])
    messages.success(request, _("A new validity check over the undecided items is open."))
    return redirect("reviews:detail", pk=rerun.pk)


@login_required
@require_POST
@back_on_refusal("reviews:detail", "pk")
def evidence_upload_view(request, pk: int):
    campaign = _campaign(request, pk)
    form = EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose the scanned file."))
        return redirect("reviews:detail", pk=campaign.pk)
    upload = form.cleaned_data["file"]
    if upload.size > 20 * 1024 * 1024:
        messages.error(request, _("The file is larger than 20 MB."))
        return redirect("reviews:detail", pk=campaign.pk)
    evidence_attach(
        actor=request.user,
        campaign=campaign,
        filename=upload.name,
        content=upload.read(),
        organization_id=form.cleaned_data.get("section"),
    )
    messages.success(request, _("The signed check sheet is attached."))
    return redirect("reviews:detail", pk=campaign.pk)


@login_required
def evidence_download(request, pk: int, evidence_id: int):
    campaign = _campaign(request, pk)
    evidence = ReviewEvidence.objects.restrict(request.user).filter(campaign=campaign, pk=evidence_id).first()
    if evidence is None:
        raise Http404
    response = HttpResponse(bytes(evidence.content), content_type=evidence.content_type)
    response["Content-Disposition"] = f'attachment; filename="evidence-{evidence.pk}"'
    return response


@login_required
def check_sheet_pdf(request, pk: int):
    campaign = _campaign(request, pk)
    section = request.GET.get("section")
    section_id = int(section) if section and section.isdigit() and len(section) < 18 else None
    matrix = campaign_matrix(request.user, campaign, section=section_id, limit=20000)
    body = render_check_sheet(campaign, matrix)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="check-sheet-{campaign.pk}.pdf"'
    return response


@login_required
def evidence_pdf(request, pk: int):
    campaign = _campaign(request, pk)
    body = render_evidence(request.user, campaign)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="validity-check-{campaign.pk}.pdf"'
    return response


@login_required
def evidence_xlsx(request, pk: int):
    campaign = _campaign(request, pk)
    return streaming_export_response(
        evidence_table(request.user, campaign), "xlsx", f"validity-check-{campaign.pk}"
    )


@login_required
def schedule_list(request):
    schedules = ReviewSchedule.objects.restrict(request.user).prefetch_related("systems")
    return render(request, "reviews/schedules.html", paginate(request, schedules))


@login_required
def reconciliation_list(request):
    systems = _administered_systems(request.user)
    form = ReconciliationForm(
        request.POST or None, request.FILES or None, systems=systems, initial={"as_of": timezone.localdate()}
    )
    if request.method == "POST":
        if not systems.exists():
            raise Http404
        if form.is_valid():
            d = form.cleaned_data
            with refusals_on(form, fields={"file": "file", "unused_days": "unused_days"}):
                run = reconciliation_import(
                    actor=request.user,
                    system=d["system"],
                    as_of=d["as_of"],
                    content=d["file"].read(),
                    filename=d["file"].name,
                    mapping=ColumnMapping(
                        user_id=d["user_id_column"],
                        permissions=d.get("permissions_column") or "",
                        last_sign_in=d.get("last_sign_in_column") or "",
                        separator=d.get("separator") or ";",
                    ),
                    unused_days=d.get("unused_days"),
                )
                messages.success(request, _("The account list has been compared with the management file."))
                return redirect("reviews:reconciliation", pk=run.pk)
    context = paginate(request, Reconciliation.objects.restrict(request.user).select_related("system"))
    context.update({"form": form, "can_import": systems.exists()})
    return render(request, "reviews/reconciliations.html", context)


@login_required
def reconciliation_detail(request, pk: int):
    run = get_visible(Reconciliation, request.user, pk=pk, ip_address=client_ip(request))
    category = request.GET.get("category", "")
    findings = Finding.objects.restrict(request.user).filter(reconciliation=run).select_related("person")
    if category in FindingCategory.values:
        findings = findings.filter(category=category)
    context = paginate(request, findings)
    context.update(
        {
            "run": run,
            "category": category,
            "categories": FindingCategory.choices,
            "statuses": FindingStatus,
        }
    )
    return render(request, "reviews/reconciliation.html", context)


@login_required
@require_POST
def finding_update_view(request, pk: int):
    finding = get_visible(Finding, request.user, pk=pk, ip_address=client_ip(request))
    form = FindingForm(request.POST)
    if form.is_valid():
        finding_update(
            actor=request.user,
            finding=finding,
            status=form.cleaned_data["status"],
            note=form.cleaned_data.get("note") or "",
        )
        messages.success(request, _("Finding updated."))
    return redirect("reviews:reconciliation", pk=finding.reconciliation_id)


finding_update_view.refusal_back = ("reviews:reconciliations", ())  # type: ignore[attr-defined]
