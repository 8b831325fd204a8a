"""The audit log: read (restricted), filter, export, and verify the hash chain."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kengen.audit.describe import Describer, describe_events
from kengen.audit.exports import audited_export
from kengen.audit.forms import AuditFilterForm
from kengen.audit.models import AuditEvent
from kengen.audit.services import audit_verify
from kengen.core.exceptions import PermissionDenied
from kengen.core.exports import Table, export_name
from kengen.core.views import export_format, paginate
from kengen.roles.selectors import scope_for


def _may_verify(user) -> bool:
    scope = scope_for(user)
    return bool(user.is_superuser or scope.is_auditor)


def audit_table(events) -> Table:
    """The log as an auditor reads it: the same words as the detail page, one event a row; the
    change is one line per field (項目: 変更前 → 変更後)."""
    headers = [
        _("No."),
        _("Occurred at"),
        _("Actor"),
        _("Action"),
        _("Kind of object"),
        _("Target"),
        _("On application"),
        _("Changes"),
        _("IP address"),
    ]
    describer = Describer()

    def row(e: AuditEvent) -> list:
        view = describer.describe(e)
        return [
            e.seq,
            timezone.localtime(e.occurred_at),
            view.actor,
            view.action,
            view.target_kind,
            e.target_label,
            e.application_ref,
            view.changes_text(),
            e.ip_address or "",
        ]

    return Table(title=_("Audit log"), headers=headers, rows=[row(e) for e in events])


@login_required
def audit_list(request):
    events = AuditEvent.objects.restrict(request.user, "view").select_related("actor__person")
    form = AuditFilterForm(request.GET or None)
    events = form.apply(events).order_by("-seq")
    if export := export_format(request):
        fmt, encoding = export
        return audited_export(
            request,
            audit_table(events),
            fmt=fmt,
            encoding=encoding,
            filename=f"audit-log-{timezone.localdate().isoformat()}",
            name=export_name(_("Audit log"), timezone.localdate()),
            label="audit log",
            details={"filters": form.cleaned_data if form.is_bound and form.is_valid() else {}},
        )
    context = paginate(request, events)
    context["events"] = describe_events(context["page_obj"])
    return render(
        request, "audit/list.html", {"form": form, "may_verify": _may_verify(request.user), **context}
    )


@login_required
def audit_detail(request, seq: int):
    """One event, field by field, in words an auditor reads (404 for an event the user may not see)."""
    event = (
        AuditEvent.objects.restrict(request.user, "view")
        .select_related("actor__person")
        .filter(seq=seq)
        .first()
    )
    if event is None:
        raise Http404
    return render(request, "audit/detail.html", {"view": Describer().describe(event)})


@require_POST
@login_required
def audit_verify_view(request):
    if not _may_verify(request.user):
        raise PermissionDenied(_("Only auditors can verify the audit log."))
    result = audit_verify()
    return render(request, "audit/verify.html", {"result": result, "checked_at": timezone.now()})
