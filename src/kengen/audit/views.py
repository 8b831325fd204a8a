"""The audit log: read (restricted), filter, export, and verify the hash chain."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

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


def _json(value) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def audit_table(events) -> Table:
    headers = [
        _("No."),
        _("Occurred at"),
        _("Actor"),
        _("Action"),
        _("Target type"),
        _("Target ID"),
        _("Target"),
        _("On application"),
        _("Old values"),
        _("New values"),
        _("IP address"),
    ]
    rows = [
        [
            e.seq,
            timezone.localtime(e.occurred_at),
            e.actor_label,
            e.get_action_display(),
            e.target_type,
            e.target_id,
            e.target_label,
            e.application_ref,
            _json(e.old),
            _json(e.new),
            e.ip_address or "",
        ]
        for e in events
    ]
    return Table(title=_("Audit log"), headers=headers, rows=rows)


@login_required
def audit_list(request):
    events = AuditEvent.objects.restrict(request.user, "view").select_related("actor")
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
    return render(
        request,
        "audit/list.html",
        {"form": form, "may_verify": _may_verify(request.user), **paginate(request, events)},
    )


@require_POST
@login_required
def audit_verify_view(request):
    if not _may_verify(request.user):
        raise PermissionDenied(_("Only auditors can verify the audit log."))
    result = audit_verify()
    return render(request, "audit/verify.html", {"result": result, "checked_at": timezone.now()})
