"""A9: the acknowledgement page every user passes, and the per-unit list for security officers
and auditors (with CSV/Excel export)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from kengen.acknowledgements.choices import AcknowledgementStatus
from kengen.acknowledgements.forms import AcknowledgeForm, StatusFilterForm
from kengen.acknowledgements.models import Acknowledgement
from kengen.acknowledgements.selectors import (
    acknowledgement_due,
    acknowledgement_next_due,
    acknowledgement_status_listing,
    reachable_units,
)
from kengen.acknowledgements.services import acknowledgement_record
from kengen.acknowledgements.texts import current_text
from kengen.audit.exports import audited_export
from kengen.core.exports import Table, export_name
from kengen.core.forms import as_of_date, client_ip, with_date
from kengen.core.views import export_format, paginate


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


@never_cache
@login_required
def acknowledge(request):
    """Show the duties of A9; the user confirms they will observe them (A9.1, A9.2)."""
    text = current_text()
    next_url = _safe_next(request)
    due = acknowledgement_due(user=request.user)
    form = AcknowledgeForm(request.POST or None, initial={"text_version": text.version})
    if request.method == "POST" and form.is_valid():
        acknowledgement_record(
            user=request.user, text_version=form.cleaned_data["text_version"], ip_address=client_ip(request)
        )
        messages.success(request, _("Thank you. Your acknowledgement of the duties is recorded."))
        return HttpResponseRedirect(next_url or resolve_url("dashboard:home"))
    history = (
        Acknowledgement.objects.filter(person_id=request.user.person_id).order_by("-acknowledged_at")[:10]
        if request.user.person_id
        else []
    )
    return render(
        request,
        "acknowledgements/acknowledge.html",
        {
            "text": text,
            "form": form,
            "due": due,
            "linked": bool(request.user.person_id),
            "next_due": acknowledgement_next_due(request.user),
            "history": history,
            "next": next_url,
            "interval_days": settings.KENGEN_ACKNOWLEDGEMENT_INTERVAL_DAYS,
        },
    )


def status_table(rows) -> Table:
    headers = [
        _("Unit"),
        _("Staff number"),
        _("Name"),
        _("Name (kana)"),
        _("Post"),
        _("Status"),
        _("Last acknowledged"),
        _("Text version"),
        _("Due again"),
    ]
    return Table(
        title=_("Acknowledgements (A9)"),
        headers=headers,
        rows=[
            [
                r.unit,
                r.staff_number,
                r.name,
                r.name_kana,
                r.post,
                r.status_label,
                timezone.localtime(r.latest_at) if r.latest_at else None,
                r.latest_version,
                timezone.localtime(r.next_due) if r.next_due else None,
            ]
            for r in rows
        ],
    )


@login_required
def status_list(request):
    """Per unit: who has acknowledged the duties and who is due (security officers: their units;
    auditors: every unit)."""
    from kengen.organizations.selectors import OrgTree

    date, _date_form = as_of_date(request)
    reach = reachable_units(request.user)  # PermissionDenied for anyone else
    tree = OrgTree(date)
    units = [(o.id, "\u3000" * depth + o.name) for o, depth in tree.walk() if reach is None or o.id in reach]
    form = StatusFilterForm(with_date(request.GET, date), units=units, initial={"on": date})
    unit = status = None
    if form.is_bound and form.is_valid():
        unit = form.cleaned_data["unit"]
        status = form.cleaned_data["status"] or None
    listing = acknowledgement_status_listing(user=request.user, organization_id=unit, on=date, status=status)
    if export := export_format(request):
        fmt, encoding = export
        return audited_export(
            request,
            status_table(listing.rows(listing.assignments.iterator(chunk_size=2000))),
            fmt=fmt,
            encoding=encoding,
            filename=f"acknowledgements-{date.isoformat()}",
            name=export_name(_("Acknowledgements (A9)"), date),
            label="acknowledgements (A9)",
            details={"unit": unit, "status": status, "on": date},
        )
    page = paginate(request, listing.assignments)
    page["page_obj"].object_list = listing.rows(page["page_obj"].object_list)
    counts: dict[str, int] = listing.counts()  # in the database, over every row
    counts["pending"] = counts[AcknowledgementStatus.DUE] + counts[AcknowledgementStatus.NEVER]
    return render(
        request,
        "acknowledgements/list.html",
        # The counts are over every row; the table shows one page of them (PER_PAGE rows), paged
        # in the database: only the page's people are read and turned into rows.
        {"form": form, "date": date, "counts": counts, "text": current_text(), **page},
    )
