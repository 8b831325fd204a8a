"""Exports are events: ``audited_export`` sends a table as a file and records who exported what."""

from __future__ import annotations

from collections.abc import Callable

from kengen.audit.choices import AuditAction
from kengen.audit.services import audit_record
from kengen.core.exports import Table, export_response, streaming_export_response
from kengen.core.forms import client_ip


def audited_export(
    request,
    table: Table,
    *,
    fmt: str,
    encoding: str,
    filename: str,
    label: str,
    details: dict,
    count: Callable[[], int] | None = None,
    name: str | None = None,
):
    """Send ``table`` as a file and record who exported what (the export itself is an event).

    With ``count`` (the number of rows, counted in the database), ``table.rows`` may be a stream:
    the file is then streamed with bounded memory instead of being built in memory first.
    ``name`` is the Japanese file name (管理ファイル_令和8年12月2日), ``filename`` its ASCII
    fallback for clients that cannot read RFC 6266 ``filename*``."""
    if count is None:
        table.rows = list(table.rows)
        rows = len(table.rows)
    else:
        rows = count()
    audit_record(
        actor=request.user,
        action=AuditAction.EXPORT,
        target_label=label,
        new={
            **details,
            "rows": rows,
            "format": fmt if fmt == "xlsx" else f"csv/{encoding}",
        },
        ip_address=client_ip(request),
    )
    if count is not None:
        return streaming_export_response(table, fmt, filename, encoding=encoding, name=name)
    return export_response(table, fmt, filename, encoding=encoding, name=name)
