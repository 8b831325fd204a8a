
import datetime as dt

from ninja import Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from kengen.core.api_schemas import Period, on_or_today, period
from kengen.grants.models import Account
from kengen.grants.selectors import FileFilter, management_file

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
@paginate(LimitOffsetPagination)
def list_accounts(request, on: dt.date | None = None, system: str | None = None, person: int | None = None):
    date = on_or_today(on)
    qs = Account.objects.restrict(request.auth, "view", on=date).as_of(date).select_related("system")
    if system:
        qs = qs.filter(system__code=system)
    if person:
        qs = qs.filter(person_id=person)
    return [
        AccountOut(id=a.id, system=a.system.code, user_id=a.user_id, kind=a.kind, person_id=a.person_id,
                   holder_organization_id=a.holder_organization_id, period=period(a), end_reason=a.end_reason)
        for a in qs
    ]


@router.get("/grants", response=list[GrantOut], summary="The management file as of a date")
@paginate(LimitOffsetPagination)
def list_grants(
    request, on: dt.date | None = None, system: int | None = None, organization: int | None = None,
    person: int | None = None,
):
    rows = management_file(
        user=request.auth,
        flt=FileFilter(as_of=on_or_today(on), system_id=system, organization_id=organization, person_id=person),
    )
    out = []
    for r in rows:
        g, a = r.grant, r.grant.account
        p = a.person
        out.append(GrantOut(
            id=g.id, account_id=a.id, system=a.system.code,
            business_system=g.permission.system.code if g.permission.system_id != a.system_id else None,
            user_id=a.user_id, person_id=a.person_id, staff_number=p.staff_number if p else None,
            name=p.full_name if p else None, organization=r.organization, permission=g.permission.code,
            permission_name=g.permission.name, purpose=g.purpose, purpose_note=g.purpose_note, basis=g.basis,
            basis_reference=g.basis_reference, period=period(g),
        ))
    return out
