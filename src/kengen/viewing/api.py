"""Viewing IDs (A11) over the API, mounted at ``/viewing``: the same services and scope as the UI.
``POST /lendings/{id}/lend`` returns the viewing password once, for the officer to hand over."""

import datetime as dt
from typing import Annotated

from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from kengen.core.access import get_visible
from kengen.core.bounds import MAX_LIST_ITEMS, SINGLE_LINE, ApiDate, Code, Id, InSchema, fits
from kengen.core.exceptions import NotFound
from kengen.core.paging import KeysetPagination, Listing
from kengen.grants.choices import AccountKind
from kengen.grants.models import Account, Grant
from kengen.organizations.models import Organization
from kengen.people.models import Person
from kengen.systems.models import System, SystemPermission
from kengen.viewing.models import ViewingLending
from kengen.viewing.services import (
    viewing_id_create,
    viewing_lend,
    viewing_refuse,
    viewing_request,
    viewing_return,
    viewing_withdraw,
)

router = Router()


class LendingOut(Schema):
    id: int
    status: str
    holder_organization_id: int
    viewer_id: int
    viewer_name: str
    viewer_unit: str
    purpose: str
    requested_at: dt.datetime
    account_id: int | None
    user_id: str | None
    lent_at: dt.datetime | None
    lent_by_id: int | None
    returned_at: dt.datetime | None
    refusal_reason: str


class LentOut(Schema):
    lending: LendingOut
    password: str  # shown once: hand it to the viewer in person


class RequestIn(InSchema):
    holder_organization_id: Id
    purpose: Annotated[str, fits(ViewingLending, "purpose"), SINGLE_LINE]
    viewer_staff_number: Code | None = None


class LendIn(InSchema):
    account_id: Id


class RefuseIn(InSchema):
    reason: Annotated[str, fits(ViewingLending, "refusal_reason"), SINGLE_LINE]


class ViewingIdIn(InSchema):
    system: Code
    user_id: Annotated[str, fits(Account, "user_id"), SINGLE_LINE]
    holder_organization_id: Id
    permissions: list[Code] = Field(..., max_length=MAX_LIST_ITEMS)
    valid_from: ApiDate
    valid_to: ApiDate | None = None
    reference: Annotated[str, fits(Grant, "basis_reference"), SINGLE_LINE] = ""


class ViewingIdOut(Schema):
    id: int
    system: str
    user_id: str
    holder_organization_id: int
    lent_to: str | None


def _out(le: ViewingLending) -> LendingOut:
    return LendingOut(
        id=le.pk,
        status=le.status,
        holder_organization_id=le.holder_organization_id,
        viewer_id=le.viewer_id,
        viewer_name=le.viewer_name,
        viewer_unit=le.viewer_unit_name,
        purpose=le.purpose,
        requested_at=le.requested_at,
        account_id=le.account_id,
        user_id=le.account.user_id if le.account is not None else None,
        lent_at=le.lent_at,
        lent_by_id=le.lent_by_id,
        returned_at=le.returned_at,
        refusal_reason=le.refusal_reason,
    )


def _get(request, lending_id: Id) -> ViewingLending:
    return get_visible(
        ViewingLending, request.auth, pk=lending_id, ip_address=request.META.get("REMOTE_ADDR")
    )


@router.get("/lendings", response=list[LendingOut], summary="The lending record (A11.3)")
@paginate(KeysetPagination)
def list_lendings(request, status: Code | None = None):
    qs = ViewingLending.objects.restrict(request.auth).select_related("account")
    if status:
        qs = qs.filter(status=status)
    return Listing(qs, ["-requested_at", "-pk"], to_out=lambda page: [_out(le) for le in page])


@router.post("/lendings", response={201: LendingOut}, summary="Ask to view another unit's terminals (A11.1)")
def create_request(request, body: RequestIn):
    holder = get_visible(Organization, request.auth, pk=body.holder_organization_id)
    viewer = None
    if body.viewer_staff_number:
        viewer = Person.objects.filter(staff_number=body.viewer_staff_number.strip()).first()
        if viewer is None:
            raise NotFound("No staff member has that number.", field="viewer_staff_number")
    return Status(
        201,
        _out(
            viewing_request(
                actor=request.auth, holder_organization=holder, purpose=body.purpose, viewer=viewer
            )
        ),
    )


@router.get("/lendings/{int:lending_id}", response=LendingOut)
def get_lending(request, lending_id: Id):
    return _out(_get(request, lending_id))


@router.post("/lendings/{int:lending_id}/lend", response=LentOut, summary="Lend a viewing ID (A11.2)")
def lend(request, lending_id: Id, body: LendIn):
    lending = _get(request, lending_id)
    account = Account.objects.filter(pk=body.account_id, kind=AccountKind.VIEWING).first()
    if account is None:
        raise NotFound("Not found.", field="account_id")
    lent = viewing_lend(actor=request.auth, lending=lending, account=account)
    return LentOut(lending=_out(lent.lending), password=lent.password)


@router.post("/lendings/{int:lending_id}/return", response=LendingOut, summary="Record the return")
def record_return(request, lending_id: Id):
    return _out(viewing_return(actor=request.auth, lending=_get(request, lending_id)))


@router.post("/lendings/{int:lending_id}/refuse", response=LendingOut)
def refuse(request, lending_id: Id, body: RefuseIn):
    return _out(viewing_refuse(actor=request.auth, lending=_get(request, lending_id), reason=body.reason))


@router.post("/lendings/{int:lending_id}/withdraw", response=LendingOut)
def withdraw(request, lending_id: Id):
    return _out(viewing_withdraw(actor=request.auth, lending=_get(request, lending_id)))


@router.get("/ids", response=list[ViewingIdOut], summary="Viewing user IDs in force today")
def list_ids(request):
    accounts = (
        Account.objects.restrict(request.auth).filter(kind=AccountKind.VIEWING).as_of(timezone.localdate())
    )
    lent = {
        le.account_id: le.viewer_name
        for le in ViewingLending.objects.filter(status="lent", account__in=accounts)
    }
    return [
        ViewingIdOut(
            id=a.pk,
            system=a.system.code,
            user_id=a.user_id,
            holder_organization_id=a.holder_organization_id,
            lent_to=lent.get(a.pk),
        )
        for a in accounts.select_related("system")
    ]


@router.post(
    "/ids", response={201: ViewingIdOut}, summary="Register a viewing user ID (the system's administrator)"
)
def create_id(request, body: ViewingIdIn):
    system = get_visible(System, request.auth, code=body.system)
    holder = get_visible(Organization, request.auth, pk=body.holder_organization_id)
    perms = list(
        SystemPermission.objects.filter(
            system__in=[system, *system.business_systems.all()], code__in=body.permissions
        )
    )
    account = viewing_id_create(
        actor=request.auth,
        system=system,
        user_id=body.user_id,
        holder_organization=holder,
        permissions=perms,
        valid_from=body.valid_from,
        valid_to=body.valid_to,
        reference=body.reference,
    )
    return Status(
        201,
        ViewingIdOut(
            id=account.pk,
            system=system.code,
            user_id=account.user_id,
            holder_organization_id=holder.pk,
            lent_to=None,
        ),
    )
