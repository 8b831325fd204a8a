"""The HR wave in the UI: upload an HR list, see its errors or its preview (per person and in
totals, downloadable as Excel), apply it now or schedule it, with a progress bar fed by the server;
and the column-mapping editor. For the personnel records officer (人事担当); auditors read."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kengen.core.access import get_visible
from kengen.core.exceptions import Conflict, PermissionDenied, RuleViolation
from kengen.core.exports import streaming_export_response
from kengen.core.forms import client_ip
from kengen.core.refusals import back_on_refusal, refusals_on
from kengen.core.views import paginate
from kengen.hrwave.choices import WaveAction
from kengen.hrwave.exports import preview_lines, preview_table, preview_totals
from kengen.hrwave.forms import FIELD_LABELS, MappingForm, UploadForm
from kengen.hrwave.models import ColumnMapping, WaveImport
from kengen.hrwave.progress import progress_read
from kengen.hrwave.services import (
    column_mapping_save,
    mapping_columns,
    wave_apply,
    wave_cancel,
    wave_import,
    wave_preview_is_current,
    wave_refresh,
    wave_schedule,
)
from kengen.roles.selectors import scope_for


def _totals(wave: WaveImport) -> list[tuple[str, int]]:
    return [(label, value) for _key, label, value in preview_totals(wave)]


def _require_personnel_page(request) -> None:
    scope = scope_for(request.user)
    if not (scope.is_personnel or scope.sees_everything):
        raise PermissionDenied(_("Only the personnel records officer and auditors see HR lists."))


@login_required
def wave_list(request):
    _require_personnel_page(request)
    scope = scope_for(request.user)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not scope.is_personnel:
            raise PermissionDenied(_("Only the personnel records officer (人事担当) can import HR lists."))
        if form.is_valid():
            upload = form.cleaned_data["file"]
            with refusals_on(form, fields={"file": "file", "effective_on": "effective_on"}):
                wave = wave_import(
                    actor=request.user,
                    data=upload.read(),
                    file_name=upload.name,
                    effective_on=form.cleaned_data["effective_on"],
                    mapping=form.cleaned_data["mapping"],
                )
                return redirect("hrwave:detail", pk=wave.pk)
    rows = (
        WaveImport.objects.restrict(request.user, "view").select_related("created_by__person").order_by("-id")
    )
    return render(
        request,
        "hrwave/list.html",
        {"form": form, "can_import": scope.is_personnel, **paginate(request, rows)},
    )


@login_required
def wave_detail(request, pk: int):
    _require_personnel_page(request)
    wave = get_visible(WaveImport, request.user, pk=pk, ip_address=client_ip(request))
    show = request.GET.get("show", "")
    lines = preview_lines(request.user, wave, show)
    return render(
        request,
        "hrwave/detail.html",
        {
            "wave": wave,
            "errors": wave.errors[:1000],
            "more_errors": max(0, len(wave.errors) - 1000),
            "totals": _totals(wave),
            "current": wave_preview_is_current(wave),
            "can_write": scope_for(request.user).is_personnel,
            "future": wave.effective_on > timezone.localdate(),
            "show": show,
            "actions": WaveAction.choices,
            **paginate(request, lines),
        },
    )


def _write_view(request, pk: int):
    if not scope_for(request.user).is_personnel:
        raise PermissionDenied(_("Only the personnel records officer (人事担当) can change HR lists."))
    return get_visible(WaveImport, request.user, action="change", pk=pk, ip_address=client_ip(request))


@login_required
@require_POST
@back_on_refusal("hrwave:detail", "pk")
def wave_apply_view(request, pk: int):
    wave = _write_view(request, pk)
    try:
        result = wave_apply(actor=request.user, wave=wave, expected=request.POST.get("fingerprint") or None)
    except (Conflict, RuleViolation) as exc:
        messages.error(request, str(exc.message))
        return redirect("hrwave:detail", pk=pk)
    messages.success(
        request,
        _("Applied: %(events)d audit events, %(grants)d grants ended, %(notes)d notifications.")
        % {
            "events": result.get("events", 0),
            "grants": result.get("grants_ended", 0),
            "notes": result.get("notifications", 0),
        },
    )
    return redirect("hrwave:detail", pk=pk)


@login_required
@require_POST
@back_on_refusal("hrwave:detail", "pk")
def wave_schedule_view(request, pk: int):
    wave = _write_view(request, pk)
    wave_schedule(actor=request.user, wave=wave, expected=request.POST.get("fingerprint") or None)
    messages.success(request, _("Scheduled: kengen run-due applies it on its date."))
    return redirect("hrwave:detail", pk=pk)


@login_required
@require_POST
@back_on_refusal("hrwave:detail", "pk")
def wave_cancel_view(request, pk: int):
    wave = _write_view(request, pk)
    wave_cancel(actor=request.user, wave=wave)
    messages.success(request, _("Cancelled."))
    return redirect("hrwave:detail", pk=pk)


@login_required
@require_POST
@back_on_refusal("hrwave:detail", "pk")
def wave_refresh_view(request, pk: int):
    wave = _write_view(request, pk)
    wave_refresh(actor=request.user, wave=wave)
    messages.success(request, _("The preview was computed again from today's records."))
    return redirect("hrwave:detail", pk=pk)


@login_required
def wave_progress(request, pk: int):
    """The progress bar's feed: phase, done, total (read from outside the work's transaction)."""
    _require_personnel_page(request)
    wave = get_visible(WaveImport, request.user, pk=pk, ip_address=client_ip(request))
    data = progress_read(f"wave-{wave.pk}")
    return JsonResponse(
        {"phase": data.get("phase", ""), "done": data.get("done", 0), "total": data.get("total", 0)}
    )


@login_required
def wave_preview_xlsx(request, pk: int):
    """The preview as Excel: the totals, then one line per person (streamed)."""
    _require_personnel_page(request)
    wave = get_visible(WaveImport, request.user, pk=pk, ip_address=client_ip(request))
    table = preview_table(request.user, wave)
    return streaming_export_response(table, "xlsx", f"hr-preview-{wave.pk}")


@login_required
def mapping_list(request):
    _require_personnel_page(request)
    rows = ColumnMapping.objects.restrict(request.user, "view").order_by("name")
    return render(
        request,
        "hrwave/mappings.html",
        {"mappings": rows, "can_write": scope_for(request.user).is_personnel},
    )


@login_required
def mapping_edit(request, pk: int | None = None):
    """The mapping editor: which header of the city's HR export holds which field."""
    _require_personnel_page(request)
    mapping = get_visible(ColumnMapping, request.user, pk=pk) if pk else None
    columns = mapping_columns(mapping) if mapping else None
    form = MappingForm(
        request.POST or None,
        initial={"name": mapping.name if mapping else ""},
        initial_columns=columns,
    )
    if request.method == "POST":
        if not scope_for(request.user).is_personnel:
            raise PermissionDenied(_("Only the personnel records officer (人事担当) can change mappings."))
        if form.is_valid():
            with refusals_on(form):
                saved = column_mapping_save(
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    columns=form.columns(),
                    mapping=mapping,
                )
                messages.success(request, _("Mapping %(name)s saved.") % {"name": saved.name})
                return redirect("hrwave:mappings")
    return render(
        request,
        "hrwave/mapping_form.html",
        {"form": form, "mapping": mapping, "labels": FIELD_LABELS},
    )
