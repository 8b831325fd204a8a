"""The credentials API.

- ``systems_router`` (mounted at ``/systems``): what a system whose passwords Kengen holds calls,
  authenticated with that system's own API key (``Authorization: Bearer kgs_…``):
  ``POST /systems/{code}/verify`` and ``POST /systems/{code}/password``. Failed attempts are
  rate-limited per user ID and per system key (429 with ``Retry-After``); invalid keys per key
  and per source address. Request bodies are never logged.
- ``router`` (mounted at ``/credentials``): password states, policies, temporary and maintenance
  passwords, events for systems that hold their own passwords, and the holder's own change.
- ``form2_router`` (mounted at ``/password-applications``): 別記様式2.
"""

import datetime as dt
import json
from typing import Annotated

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate
from ninja.responses import NinjaJSONEncoder
from ninja.security import HttpBearer
from pydantic import ValidationError

from kengen.audit.choices import AuditAction
from kengen.audit.services import audit_record
from kengen.core.access import get_visible
from kengen.core.bounds import SINGLE_LINE, TEXT_AREA, ApiDateTime, Code, Count, Id, InSchema, fits
from kengen.core.exceptions import Conflict
from kengen.core.paging import KeysetPagination, Listing
from kengen.credentials.choices import PasswordApplicationKind, RecordedEvent, VerifyResult
from kengen.credentials.models import CredentialEvent, PasswordApplication
from kengen.credentials.passwords import MAX_LENGTH
from kengen.credentials.pdf import render_form2
from kengen.credentials.selectors import POLICY_FIELDS, credential_rows, policy_for
from kengen.credentials.services import (
    API_KEY_PREFIX,
    StaleVerifyCache,
    Throttled,
    credential_policy_set,
    maintenance_password_set,
    password_application_complete,
    password_application_create,
    password_application_reject,
    password_application_submit,
    password_application_withdraw,
    password_change,
    password_change_via_system,
    password_event_record,
    password_verify,
    system_api_key_authenticate,
    temporary_password_issue,
)
from kengen.grants.models import Account
from kengen.systems.models import System
from kengen.users.choices import ThrottleKind
from kengen.users.services import SignInThrottled, bearer_sign_in
from kengen.workflow.api import Decide, EndpointNames, workflow_endpoints


class SystemKeyAuth(HttpBearer):
    """A system's own key (``kgs_…``), created by its administrator in the UI.

    Invalid keys are throttled per key prefix and per source address, and their refusals are
    aggregated in the audit log (``kengen.users.services.bearer_sign_in``); 429 while refused."""

    def authenticate(self, request, token: str):
        key, wait = bearer_sign_in(
            token,
            ip=request.META.get("REMOTE_ADDR"),
            authenticate=system_api_key_authenticate,
            kind=ThrottleKind.SYSTEM_KEY,
            ip_kind=ThrottleKind.SYSTEM_KEY_IP,
            prefix=API_KEY_PREFIX,
            actor_label="system-api-key",
            what="system API key",
        )
        if wait:
            raise SignInThrottled(wait)
        return key


router = Router()
systems_router = Router(auth=SystemKeyAuth())
form2_router = Router()


def _secret():
    return Field(..., min_length=1, max_length=MAX_LENGTH)


class VerifyIn(InSchema):
    user_id: Code
    password: str = _secret()


class ChangeIn(InSchema):
    user_id: Code
    current_password: str = _secret()
    new_password: str = _secret()


class PermissionCode(Schema):
    system: str
    code: str


class PasswordVerifyOut(Schema):
    result: VerifyResult
    user_id: str | None
    permissions: list[PermissionCode]
    expires_at: dt.datetime | None
    message: str


#: What django-ninja's JSON renderer answers with.
JSON_CONTENT_TYPE = "application/json; charset=utf-8"


def _system_for(request, code: Code) -> System | JsonResponse:
    key = request.auth
    if key.system.code != code:
        # Refused (403) and audited: a key used against another system's endpoint.
        audit_record(
            actor=None,
            actor_label="system-api-key",
            action=AuditAction.ACCESS_DENIED,
            target=key,
            target_label=f"system API key {key.prefix}… used for {code[:64]}",
            ip_address=request.META.get("REMOTE_ADDR"),
        )
        return JsonResponse(
            {
                "error": "PermissionDenied",
                "message": "This key belongs to another system.",
                "clause": None,
                "field": None,
            },
            status=403,
        )
    return key.system


def _throttled(exc: Throttled) -> JsonResponse:
    response = JsonResponse(
        {"error": "TooManyRequests", "message": str(exc.message), "clause": None, "field": None}, status=429
    )
    response["Retry-After"] = str(exc.retry_after)
    return response


def _verify_out(outcome) -> PasswordVerifyOut:
    return PasswordVerifyOut(
        result=outcome.result,
        user_id=outcome.account.user_id if outcome.account else None,
        permissions=[PermissionCode(system=s, code=c) for s, c in outcome.permissions],
        expires_at=outcome.expires_at,
        message=str(VerifyResult(outcome.result).label),
    )


@systems_router.post(
    "/{code}/verify",
    response={200: PasswordVerifyOut},
    summary="Check a sign-in (systems whose passwords Kengen holds)",
)
def verify(request, code: Code, body: VerifyIn):
    """Answers ``valid`` (with the user ID's permissions today), ``wrong``, ``expired``,
    ``must_change`` (a temporary password: call ``/password`` next) or ``locked``. Wrong passwords
    count towards the lock threshold; 429 with Retry-After when rate-limited."""
    system = _system_for(request, code)
    if isinstance(system, JsonResponse):
        return system
    try:
        outcome = password_verify(
            system=system,
            user_id=body.user_id,
            password=body.password,
            ip_address=request.META.get("REMOTE_ADDR"),
            api_key=request.auth,
        )
    except Throttled as exc:
        return _throttled(exc)
    return _verify_out(outcome)


def verify_hot_path(request: HttpRequest, code: str) -> HttpResponse | None:
    """``verify`` for the ordinary case without django-ninja's machinery (issue 9): a valid
    system key from this process's cache (``checked_later``: the service's one statement checks
    its version), a well-formed body (validated by ``VerifyIn`` itself), the key's own system.
    The response is built as django-ninja builds ``verify``'s (tested byte for byte). Anything
    else — no or unknown key, another system, a malformed body, a refusal before the check
    (409), a stale cache — returns ``None`` before any work, and ``verify`` answers it."""
    parts = request.META.get("HTTP_AUTHORIZATION", "").split(" ")
    if parts[0].lower() != "bearer" or request.content_type != "application/json":
        return None
    try:
        body = VerifyIn.model_validate_json(request.body)
    except ValidationError:
        return None
    key = system_api_key_authenticate(" ".join(parts[1:]), checked_later=True)
    if key is None or key.system.code != code:
        return None
    try:
        outcome = password_verify(
            system=key.system,
            user_id=body.user_id,
            password=body.password,
            ip_address=request.META.get("REMOTE_ADDR"),
            api_key=key,
        )
    except StaleVerifyCache:
        return None
    except Conflict:
        return None  # raised before any work: verify answers it (409)
    except Throttled as exc:
        return _throttled(exc)
    out = {
        "result": outcome.result,
        "user_id": outcome.account.user_id if outcome.account else None,
        "permissions": [{"system": s, "code": c} for s, c in outcome.permissions],
        "expires_at": outcome.expires_at,
        "message": str(VerifyResult(outcome.result).label),
    }
    return HttpResponse(json.dumps(out, cls=NinjaJSONEncoder), content_type=JSON_CONTENT_TYPE)


@systems_router.post(
    "/{code}/password",
    response={200: PasswordVerifyOut},
    summary="Change a password at sign-in (temporary or expired)",
)
def change_via_system(request, code: Code, body: ChangeIn):
    """The same rules as the self-service change (A8.4, A8.6, A8.7); a too-weak password is a 422
    that says why without repeating it."""
    system = _system_for(request, code)
    if isinstance(system, JsonResponse):
        return system
    try:
        outcome = password_change_via_system(
            system=system,
            user_id=body.user_id,
            current=body.current_password,
            new=body.new_password,
            ip_address=request.META.get("REMOTE_ADDR"),
            api_key=request.auth,
        )
    except Throttled as exc:
        return _throttled(exc)
    return _verify_out(outcome)


# --- signed-in users ---------------------------------------------------------------------------


class CredentialOut(Schema):
    account_id: int
    system: str
    user_id: str
    kind: str
    mode: str
    status: str
    changed_at: dt.datetime | None
    due_at: dt.datetime | None
    locked_at: dt.datetime | None
    failed_attempts: int


class PolicyIO(Schema):
    mode: str
    min_length: int
    max_age_days: int
    reminder_days: int
    history_count: int
    temporary_validity_days: int
    min_character_classes: int
    lockout_threshold: int


class PolicyPatch(InSchema):
    mode: Code | None = None
    min_length: Count | None = None
    max_age_days: Count | None = None
    reminder_days: Count | None = None
    history_count: Count | None = None
    temporary_validity_days: Count | None = None
    min_character_classes: Count | None = None
    lockout_threshold: Count | None = None


class IssuedOut(Schema):
    credential: CredentialOut
    security_officer_id: int | None = None
    #: Only for maintenance staff: shown once, never again.
    password: str | None = None


class RecordIn(InSchema):
    event: RecordedEvent
    occurred_at: ApiDateTime | None = None
    reference: Annotated[str, fits(CredentialEvent, "reference"), SINGLE_LINE] = ""
    note: Annotated[str, fits(CredentialEvent, "note"), SINGLE_LINE] = ""


class OwnChangeIn(InSchema):
    current_password: str = _secret()
    new_password: str = _secret()


def _credential_out(account: Account) -> CredentialOut:
    (row,) = credential_rows(Account.objects.filter(pk=account.pk))
    c = row.credential
    return CredentialOut(
        account_id=account.pk,
        system=row.account.system.code,
        user_id=row.account.user_id,
        kind=row.account.kind,
        mode=row.policy.mode,
        status=row.status,
        changed_at=c.changed_at if c else None,
        due_at=row.due_at,
        locked_at=c.locked_at if c else None,
        failed_attempts=c.failed_attempts if c else 0,
    )


def _account(request, account_id: Id) -> Account:
    return get_visible(Account, request.auth, pk=account_id, ip_address=request.META.get("REMOTE_ADDR"))


@router.get("", response=list[CredentialOut], summary="Password states of the user IDs the caller may see")
@paginate(KeysetPagination)
def list_credentials(request, system: Code | None = None):
    accounts = Account.objects.restrict(request.auth).as_of(timezone.localdate())
    if system:
        accounts = accounts.filter(system__code=system)
    return Listing(
        accounts,
        ["system_id", "user_id", "valid_from", "pk"],
        to_out=lambda page: [_credential_out(a) for a in page],
    )


@router.get("/accounts/{int:account_id}", response=CredentialOut)
def get_credential(request, account_id: Id):
    return _credential_out(_account(request, account_id))


@router.get("/policies/{code}", response=PolicyIO, summary="A system's password policy (defaults if none)")
def get_policy(request, code: Code):
    system = get_visible(System, request.auth, code=code)
    policy = policy_for(system)
    return PolicyIO(**{name: getattr(policy, name) for name in POLICY_FIELDS})


@router.patch(
    "/policies/{code}", response=PolicyIO, summary="Change a system's password policy (its administrator)"
)
def set_policy(request, code: Code, body: PolicyPatch):
    system = get_visible(System, request.auth, code=code)
    values = {k: v for k, v in body.dict().items() if v is not None}
    policy = credential_policy_set(actor=request.auth, system=system, **values)
    return PolicyIO(**{name: getattr(policy, name) for name in POLICY_FIELDS})


@router.post(
    "/accounts/{int:account_id}/temporary",
    response={201: IssuedOut},
    summary="Issue a temporary password (A8.2; maintenance staff A8.8)",
)
def issue_temporary(request, account_id: Id):
    """For system users the value goes only to their security officer, through a one-time link
    in the officer's notification (A8.3); the response never carries it. For maintenance staff it
    is returned once, for the administrator to hand over."""
    issued = temporary_password_issue(actor=request.auth, account=_account(request, account_id))
    return Status(
        201,
        IssuedOut(
            credential=_credential_out(issued.credential.account),
            security_officer_id=issued.officer.pk if issued.officer else None,
            password=issued.value or None,
        ),
    )


@router.post(
    "/accounts/{int:account_id}/maintenance-password",
    response={201: IssuedOut},
    summary="Set a maintenance staff password (A8.8); returned once",
)
def set_maintenance_password(request, account_id: Id):
    issued = maintenance_password_set(actor=request.auth, account=_account(request, account_id))
    return Status(
        201, IssuedOut(credential=_credential_out(issued.credential.account), password=issued.value)
    )


@router.post(
    "/accounts/{int:account_id}/events",
    response={201: CredentialOut},
    summary="Record a password event of a system that holds its own passwords",
)
def record_event(request, account_id: Id, body: RecordIn):
    account = _account(request, account_id)
    password_event_record(
        actor=request.auth,
        account=account,
        event=body.event,
        occurred_at=body.occurred_at,
        reference=body.reference,
        note=body.note,
    )
    return Status(201, _credential_out(account))


@router.post(
    "/accounts/{int:account_id}/password",
    response=CredentialOut,
    summary="Change your own password (current + new)",
)
def change_own(request, account_id: Id, body: OwnChangeIn):
    account = _account(request, account_id)
    password_change(
        actor=request.auth,
        account=account,
        current=body.current_password,
        new=body.new_password,
        ip_address=request.META.get("REMOTE_ADDR"),
    )
    return _credential_out(account)


# --- 別記様式2 ----------------------------------------------------------------------------------


class Form2In(InSchema):
    account_id: Id
    kind: PasswordApplicationKind = PasswordApplicationKind.CHANGE
    reason: Annotated[str, fits(PasswordApplication, "reason"), TEXT_AREA] = ""


class Form2Out(Schema):
    id: int
    number: str
    system: str
    account_id: int
    user_id: str
    person_id: int
    organization_id: int
    kind: str
    applicant_kind: str
    applicant_id: int
    status: str
    reason: str
    submitted_at: dt.datetime | None
    decided_at: dt.datetime | None
    rejection_reason: str


class Form2RejectIn(InSchema):
    reason: Annotated[str, fits(PasswordApplication, "rejection_reason"), TEXT_AREA]


def _form2_out(app: PasswordApplication) -> Form2Out:
    return Form2Out(
        id=app.pk,
        number=app.number,
        system=app.system.code,
        account_id=app.account_id,
        user_id=app.account.user_id,
        person_id=app.person_id,
        organization_id=app.organization_id,
        kind=app.kind,
        applicant_kind=app.applicant_kind,
        applicant_id=app.applicant_id,
        status=app.status,
        reason=app.reason,
        submitted_at=app.submitted_at,
        decided_at=app.decided_at,
        rejection_reason=app.rejection_reason,
    )


def _form2(request, app_id: Id) -> PasswordApplication:
    return get_visible(
        PasswordApplication, request.auth, pk=app_id, ip_address=request.META.get("REMOTE_ADDR")
    )


@form2_router.get("", response=list[Form2Out], summary="Form 2 applications the caller may see")
@paginate(KeysetPagination)
def list_form2(request, status: Code | None = None):
    qs = PasswordApplication.objects.restrict(request.auth).select_related("system", "account")
    if status:
        qs = qs.filter(status=status)
    return Listing(qs, ["-created_at", "-pk"], to_out=lambda page: [_form2_out(a) for a in page])


@form2_router.post("", response={201: Form2Out}, summary="Draft a Form 2 (A8.1)")
def create_form2(request, body: Form2In):
    account = _account(request, body.account_id)
    app = password_application_create(actor=request.auth, account=account, kind=body.kind, reason=body.reason)
    return Status(201, _form2_out(app))


workflow_endpoints(
    form2_router,
    names=EndpointNames.of(__name__, "form2", decide="complete"),
    fetch=_form2,
    out=_form2_out,
    response=Form2Out,
    submit=password_application_submit,
    withdraw=password_application_withdraw,
    decide=Decide("complete", password_application_complete, summary="Record completion (the administrator)"),
    reject=password_application_reject,
    reject_body=Form2RejectIn,
)


@form2_router.get("/{int:app_id}/form2.pdf", summary="別記様式2 as PDF (never contains a password)")
def form2_pdf(request, app_id: Id):
    response = HttpResponse(render_form2(_form2(request, app_id)), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="form2-{app_id}.pdf"'
    return response
