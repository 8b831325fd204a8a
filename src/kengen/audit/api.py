import datetime as dt

from ninja import Router, Schema
from ninja.pagination import paginate

from kengen.audit.models import AuditEvent
from kengen.audit.services import audit_verify
from kengen.core.bounds import ApiDateTime, Code
from kengen.core.exceptions import PermissionDenied
from kengen.core.paging import KeysetPagination
from kengen.roles.selectors import scope_for

router = Router()


class AuditEventOut(Schema):
    seq: int
    occurred_at: dt.datetime
    actor_id: int | None
    actor_label: str
    action: str
    target_type: str
    target_id: str
    target_label: str
    application_ref: str
    old: dict | None
    new: dict | None
    hash: str


class VerifyOut(Schema):
    ok: bool
    checked: int
    broken_seq: int | None
    reason: str


@router.get("/events", response=list[AuditEventOut], summary="Audit events the caller may see, newest first")
@paginate(KeysetPagination)
def list_events(
    request,
    action: Code | None = None,
    target_type: Code | None = None,
    target_id: Code | None = None,
    since: ApiDateTime | None = None,
    until: ApiDateTime | None = None,
):
    qs = AuditEvent.objects.restrict(request.auth, "view").order_by("-seq")
    if action:
        qs = qs.filter(action=action)
    if target_type:
        qs = qs.filter(target_type=target_type)
    if target_id:
        qs = qs.filter(target_id=target_id)
    if since:
        qs = qs.filter(occurred_at__gte=since)
    if until:
        qs = qs.filter(occurred_at__lt=until)
    return qs


@router.get("/verify", response=VerifyOut, summary="Verify the hash chain (auditors)")
def verify(request):
    if not scope_for(request.auth).sees_everything:
        raise PermissionDenied("Only auditors can verify the audit log.")
    r = audit_verify()
    return VerifyOut(ok=r.ok, checked=r.checked, broken_seq=r.broken_seq, reason=r.reason)
