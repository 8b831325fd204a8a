from ninja import Router, Schema

from kengen.core.access import get_visible
from kengen.core.api_schemas import Period, on_or_today, period
from kengen.core.bounds import ApiDate, Code, Id
from kengen.organizations.models import Organization
from kengen.organizations.selectors import OrgTree

router = Router()


class OrganizationOut(Schema):
    id: int
    code: str
    name: str
    full_name: str
    kana: str
    kind: str
    parent_id: int | None
    is_security_unit: bool
    period: Period
    end_reason: str


def _out(org: Organization, tree: OrgTree) -> OrganizationOut:
    return OrganizationOut(
        id=org.id,
        code=org.code,
        name=org.name,
        full_name=tree.full_name(org.id) if org.id in tree.by_id else org.name,
        kana=org.kana,
        kind=org.kind,
        parent_id=org.parent_id,
        is_security_unit=org.is_security_unit,
        period=period(org),
        end_reason=org.end_reason,
    )


@router.get("", response=list[OrganizationOut], summary="Units in force on a date (the tree, depth-first)")
def list_organizations(request, on: ApiDate | None = None, kind: Code | None = None):
    date = on_or_today(on)
    Organization.objects.restrict(request.auth, "view")  # deny-by-default check, same as the UI
    tree = OrgTree(date, Organization.objects.restrict(request.auth, "view").as_of(date))
    return [_out(o, tree) for o, _depth in tree.walk() if kind is None or o.kind == kind]


@router.get("/{int:org_id}", response=OrganizationOut)
def get_organization(request, org_id: Id):
    org = get_visible(Organization, request.auth, pk=org_id)
    return _out(org, OrgTree(org.valid_from))
