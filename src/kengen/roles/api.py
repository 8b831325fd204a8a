import datetime as dt

from ninja import Router, Schema

from kengen.core.api_schemas import on_or_today
from kengen.core.bounds import ApiDate
from kengen.roles.selectors import scope_for

router = Router()


class HoldingOut(Schema):
    role: str
    role_label: str
    label: str
    organization_id: int | None
    system_id: int | None


class MeOut(Schema):
    username: str
    person_id: int | None
    on: dt.date
    is_auditor: bool
    roles: list[HoldingOut]


@router.get("", response=MeOut, summary="Who the caller is and which roles they hold on a date")
def me(request, on: ApiDate | None = None):
    user = request.auth
    scope = scope_for(user, on=on_or_today(on))
    return MeOut(
        username=user.username,
        person_id=user.person_id,
        on=scope.date,
        is_auditor=scope.is_auditor,
        roles=[
            HoldingOut(
                role=h.role,
                role_label=str(h.role_label),
                label=h.label,
                organization_id=h.organization_id,
                system_id=h.system_id,
            )
            for h in scope.holdings
        ],
    )
