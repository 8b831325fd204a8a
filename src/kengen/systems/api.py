from ninja import Router, Schema

from kengen.core.access import get_visible
from kengen.core.bounds import Code
from kengen.systems.models import System

router = Router()


class PermissionOut(Schema):
    code: str
    name: str
    is_active: bool


class SystemOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    parent_code: str | None
    owner_id: int
    owner: str
    handles_specific_personal_info: bool
    permissions: list[PermissionOut]


def _out(s: System) -> SystemOut:
    return SystemOut(
        id=s.id,
        code=s.code,
        name=s.name,
        kind=s.kind,
        parent_code=s.parent.code if s.parent is not None else None,
        owner_id=s.owner_id,
        owner=s.owner.name,
        handles_specific_personal_info=s.handles_specific_personal_info,
        permissions=[
            PermissionOut(code=p.code, name=p.name, is_active=p.is_active) for p in s.permissions.all()
        ],
    )


@router.get("", response=list[SystemOut], summary="The system catalogue")
def list_systems(request):
    qs = (
        System.objects.restrict(request.auth, "view")
        .select_related("parent", "owner")
        .prefetch_related("permissions")
    )
    return [_out(s) for s in qs]


@router.get("/{code}", response=SystemOut)
def get_system(request, code: Code):
    return _out(get_visible(System, request.auth, code=code))
