import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from kengen.core.access import get_visible
from kengen.core.api_schemas import Period, on_or_today, period
from kengen.core.bounds import MAX_LIST_ITEMS, SINGLE_LINE, ApiDate, Code, Id, InSchema, fits
from kengen.core.exceptions import NotFound, PermissionDenied, RuleViolation
from kengen.core.paging import KeysetPagination, Listing
from kengen.grants.choices import Purpose
from kengen.grants.models import Account, Grant
from kengen.grants.selectors import (
    FileFilter,
    FileRow,
    maintenance_accounts,
    maintenance_people,
    management_file_listing,
    open_grants,
)
from kengen.grants.services import (
    account_end,
    grant_delete_for_breach,
    grant_direct,
    grant_revoke_for_transfer,
    maintenance_account_register,
)
from kengen.outsourcing.selectors import maintenance_eligible
from kengen.people.models import Person
from kengen.roles.selectors import scope_for
from kengen.systems.models import System, SystemPermission

router = Router()


class AccountOut(Schema):
    id: int
    system: str
    user_id: str
    kind: str
    person_id: int | None
    holder_organization_id: int | None
    period: Period
    end_reason: str


class GrantOut(Schema):
    id: int
    account_id: int
    system: str
    business_system: str | None
    user_id: str
    person_id: int | None
    staff_number: str | None
    name: str | None
    organization: str
    permission: str
    permission_name: str
    purpose: str
    purpose_note: str
    basis: str
    basis_reference: str
    period: Period


@router.get("/accounts", response=list[AccountOut], summary="User IDs in force on a date")
@paginate(KeysetPagination)
def list_accounts(request, on: ApiDate | None = None, system: Code | None = None, person: Id | None = None):
    date = on_or_today(on)
    qs = Account.objects.restrict(request.auth, "view", on=date).as_of(date).select_related("system")
    if system:
        qs = qs.filter(system__code=system)
    if person:
        qs = qs.filter(person_id=person)
    return Listing(
        qs, ["system_id", "user_id", "valid_from", "pk"], to_out=lambda page: [_account_out(a) for a in page]
    )


def _file_out(rows: list[FileRow]) -> list[GrantOut]:
    out = []
    for r in rows:
        g, a = r.grant, r.grant.account
        p = a.person
        out.append(
            GrantOut(
                id=g.id,
                account_id=a.id,
                system=a.system.code,
                business_system=g.permission.system.code if g.permission.system_id != a.system_id else None,
                user_id=a.user_id,
                person_id=a.person_id,
                staff_number=p.staff_number if p else None,
                name=p.full_name if p else None,
                organization=r.organization,
                permission=g.permission.code,
                permission_name=g.permission.name,
                purpose=g.purpose,
                purpose_note=g.purpose_note,
                basis=g.basis,
                basis_reference=g.basis_reference,
                period=period(g),
            )
        )
    return out


@router.get("/grants", response=list[GrantOut], summary="The management file as of a date")
@paginate(KeysetPagination)
def list_grants(
    request,
    on: ApiDate | None = None,
    system: Id | None = None,
    organization: Id | None = None,
    person: Id | None = None,
):
    listing = management_file_listing(
        user=request.auth,
        flt=FileFilter(
            as_of=on_or_today(on), system_id=system, organization_id=organization, person_id=person
        ),
    )
    to_rows = listing.to_out
    assert to_rows is not None
    listing.to_out = lambda page: _file_out(to_rows(page))
    return listing


# --- Paths other than Form 1 (A5.5–A5.9) -------------------------------------------------------


class PermissionRef(InSchema):
    system: Code  # system code: a business system of COKAS-R/ADⅡ, or the system itself
    permission: Code  # permission code of that system


class GrantEntryOut(Schema):
    """One grant as written or ended by these endpoints."""

    id: int
    account_id: int
    user_id: str
    system: str
    business_system: str | None
    permission: str
    basis: str
    end_reason: str
    period: Period


class DirectGrantIn(InSchema):
    person_id: Id
    permissions: list[PermissionRef] = Field(..., max_length=MAX_LIST_ITEMS)
    valid_from: ApiDate
    valid_to: ApiDate | None = None  # exclusive: the first day no longer valid
    # default: the staff number (ignored if the person has an ID already)
    user_id: Annotated[str, fits(Account, "user_id", min_length=1), SINGLE_LINE] | None = None
    purpose: Purpose = Purpose.DUTIES
    purpose_note: Annotated[str, fits(Grant, "purpose_note"), SINGLE_LINE] = ""


class RevokeTransferIn(InSchema):
    person_id: Id
    system: Code
    on: ApiDate  # the day of the transfer or retirement: the first day without the grants
    reason: Literal["transfer", "retirement"] = "transfer"


class BreachDeletionIn(InSchema):
    reason: Annotated[str, fits(Grant, "end_note"), SINGLE_LINE]
    on: ApiDate | None = None  # first day no longer valid; default today
    grant_ids: list[Id] | None = Field(None, max_length=MAX_LIST_ITEMS)  # None: the whole user ID


class BreachDeletionOut(Schema):
    account: AccountOut
    ended: list[GrantEntryOut]


class MaintenanceAccountIn(InSchema):
    person_id: Id
    system: Code
    user_id: Annotated[str, fits(Account, "user_id"), SINGLE_LINE]
    permissions: list[PermissionRef] = Field(..., max_length=MAX_LIST_ITEMS)
    valid_from: ApiDate
    valid_to: ApiDate  # exclusive; required: maintenance permissions always end (A5.9)
    note: Annotated[str, fits(Grant, "basis_reference"), SINGLE_LINE] = ""


class MaintenanceAccountOut(AccountOut):
    name: str
    contractor: str | None
    grants: list[GrantEntryOut]


class EligibleMaintenanceStaffOut(Schema):
    person_id: int
    name: str
    contractor: str | None
    contract_id: int
    contract: str
    valid_from: dt.date  # the first day they may hold a user ID on the system
    valid_to: dt.date  # exclusive: their time on the contract (or the contract) ends then
    last_day: dt.date


class AccountEndIn(InSchema):
    on: ApiDate  # first day no longer valid
    reason: Literal["cancelled", "expired", "correction"] = "cancelled"


def _account_out(a: Account) -> AccountOut:
    return AccountOut(
        id=a.id,
        system=a.system.code,
        user_id=a.user_id,
        kind=a.kind,
        person_id=a.person_id,
        holder_organization_id=a.holder_organization_id,
        period=period(a),
        end_reason=a.end_reason,
    )


def _entry(g: Grant) -> GrantEntryOut:
    a = g.account
    return GrantEntryOut(
        id=g.id,
        account_id=a.id,
        user_id=a.user_id,
        system=a.system.code,
        business_system=g.permission.system.code if g.permission.system_id != a.system_id else None,
        permission=g.permission.code,
        basis=g.basis,
        end_reason=g.end_reason,
        period=period(g),
    )


def _maintenance_out(a: Account, on: dt.date) -> MaintenanceAccountOut:
    p = a.person
    return MaintenanceAccountOut(
        **_account_out(a).model_dump(),
        name=p.full_name if p else "",
        contractor=p.contractor.name if p and p.contractor else None,
        grants=[_entry(g) for g in open_grants(a, on).select_related("account__system")],
    )


def _permissions(refs: list[PermissionRef]) -> list[SystemPermission]:
    perms = []
    for i, ref in enumerate(refs):
        perm = (
            SystemPermission.objects.filter(system__code=ref.system, code=ref.permission)
            .select_related("system")
            .first()
        )
        if perm is None:
            raise RuleViolation(
                f"{ref.system} offers no permission {ref.permission}", field=f"permissions[{i}]"
            )
        perms.append(perm)
    return perms


def _require_maintenance_reader(user) -> None:
    scope = scope_for(user)
    if not (scope.administered_system_ids or scope.sees_everything):
        raise PermissionDenied(
            "Only system administrators manage maintenance staff user IDs (A5.9).", clause="A5.9"
        )


@router.post(
    "/grants/direct",
    response={201: list[GrantEntryOut]},
    summary="Grant a Table 2 person directly (core / intermediate-server administrators, A5.5)",
)
def direct_grant(request, body: DirectGrantIn):
    person = get_visible(Person, request.auth, pk=body.person_id, ip_address=request.META.get("REMOTE_ADDR"))
    grants = grant_direct(
        actor=request.auth,
        person=person,
        permissions=_permissions(body.permissions),
        valid_from=body.valid_from,
        valid_to=body.valid_to,
        user_id=body.user_id,
        purpose=body.purpose,
        purpose_note=body.purpose_note,
    )
    return Status(201, [_entry(g) for g in grants])


@router.post(
    "/grants/revoke-transfer",
    response=list[GrantEntryOut],
    summary="End a person's direct grants after a transfer or retirement (A5.5)",
)
def revoke_transfer(request, body: RevokeTransferIn):
    person = get_visible(Person, request.auth, pk=body.person_id, ip_address=request.META.get("REMOTE_ADDR"))
    system = get_visible(System, request.auth, code=body.system)
    ended = grant_revoke_for_transfer(
        actor=request.auth, person=person, on=body.on, reason=body.reason, system=system
    )
    return [_entry(g) for g in ended]


@router.post(
    "/accounts/{int:account_id}/breach-deletion",
    response=BreachDeletionOut,
    summary="Delete a user ID or permissions for a breach of Art. 69(1) (A5.7, A5.8)",
)
def breach_deletion(request, account_id: Id, body: BreachDeletionIn):
    account = get_visible(Account, request.auth, pk=account_id, ip_address=request.META.get("REMOTE_ADDR"))
    grants = None
    if body.grant_ids is not None:
        grants = list(Grant.objects.filter(account=account, pk__in=body.grant_ids))
        if len(grants) != len(set(body.grant_ids)):
            raise RuleViolation(
                "Some of grant_ids are not permissions of this user ID.", clause="A5.7", field="grant_ids"
            )
    ended = grant_delete_for_breach(
        actor=request.auth, account=account, reason=body.reason, on=body.on, grants=grants
    )
    account.refresh_from_db()
    return BreachDeletionOut(account=_account_out(account), ended=[_entry(g) for g in ended])


@router.get(
    "/maintenance-accounts",
    response=list[MaintenanceAccountOut],
    summary="Maintenance staff user IDs on the systems the caller administers (A5.9)",
)
@paginate(KeysetPagination)
def list_maintenance_accounts(request, on: ApiDate | None = None, include_ended: bool = False):
    _require_maintenance_reader(request.auth)
    date = on_or_today(on)
    accounts = maintenance_accounts(request.auth, on=date, include_ended=include_ended)
    return Listing(
        accounts,
        ["system__sort_order", "system_id", "user_id", "-valid_from", "pk"],
        to_out=lambda page: [_maintenance_out(a, date) for a in page],
    )


@router.get(
    "/maintenance-accounts/eligible-staff",
    response=list[EligibleMaintenanceStaffOut],
    summary="Maintenance staff who may get a user ID on a system: the staff of its active contracts (A5.9, A8.8)",
)
def eligible_maintenance_staff(request, system: Code, on: ApiDate | None = None):
    """The choices of ``POST /maintenance-accounts``: only the staff of an active contract
    covering the system, each with the contract and the end of their time on it."""
    _require_maintenance_reader(request.auth)
    target = get_visible(System, request.auth, code=system)
    scope = scope_for(request.auth)
    if not (target.account_system.id in scope.administered_system_ids or scope.sees_everything):
        raise PermissionDenied(
            "Only the administrator of the system registers its maintenance staff user IDs (A5.9).",
            clause="A5.9",
        )
    return [
        EligibleMaintenanceStaffOut(
            person_id=e.person.pk,
            name=e.person.full_name,
            contractor=e.person.contractor.name if e.person.contractor else None,
            contract_id=e.contract.pk,
            contract=e.contract.title,
            valid_from=e.valid_from,
            valid_to=e.until,
            last_day=e.last_day,
        )
        for e in maintenance_eligible(maintenance_people(request.auth), target, on_or_today(on))
    ]


@router.post(
    "/maintenance-accounts",
    response={201: MaintenanceAccountOut},
    summary="Register a maintenance staff user ID and permissions (A5.9)",
)
def register_maintenance_account(request, body: MaintenanceAccountIn):
    _require_maintenance_reader(request.auth)
    person = maintenance_people(request.auth).filter(pk=body.person_id).first()
    if person is None:
        raise NotFound("Not found.")
    system = get_visible(System, request.auth, code=body.system)
    grants = maintenance_account_register(
        actor=request.auth,
        person=person,
        system=system,
        user_id=body.user_id,
        permissions=_permissions(body.permissions),
        valid_from=body.valid_from,
        valid_to=body.valid_to,
        note=body.note,
    )
    return Status(201, _maintenance_out(grants[0].account, body.valid_from))


@router.post(
    "/accounts/{int:account_id}/end",
    response=AccountOut,
    summary="End a user ID and all its permissions (deletion of a maintenance ID, A5.9)",
)
def end_account(request, account_id: Id, body: AccountEndIn):
    account = get_visible(Account, request.auth, pk=account_id, ip_address=request.META.get("REMOTE_ADDR"))
    return _account_out(account_end(actor=request.auth, account=account, on=body.on, reason=body.reason))
