"""Exports are events: ``audited_export`` sends a table as a file and records who exported what."""

from __future__ import annotations

from kengen.audit.choices import AuditAction
from kengen.audit.services import audit_record
from kengen.core.exports import Table, export_response
from kengen.core.forms import client_ip


def audited_export(
    request, table: Table, *, fmt: str, encoding: str, filename: str, label: str, details: dict
):
    """Send ``table`` as a file and record who exported what (the export itself is an event)."""
    table.rows = list(table.rows)
    audit_record(
        actor=request.user,
        action=AuditAction.EXPORT,
        target_label=label,
        new={
            **details,
            "rows": len(table.rows),
            "format": fmt if fmt == "xlsx" else f"csv/{encoding}",
        },
        ip_address=client_ip(request),
    )
    return export_response(table, fmt, filename, encoding=encoding)
