import datetime as dt
from typing import Annotated

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import Field

from kengen.core.access import get_visible
from kengen.core.api_schemas import on_or_today
from kengen.core.bounds import MAX_LIST_ITEMS, SINGLE_LINE, ApiDate, Code, Id, InSchema, at_most
from kengen.core.exceptions import NotFound
from kengen.roles.models import DesignatedRole
from kengen.roles.selectors import scope_for
from kengen.roles.services import role_designate, role_designation_end

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


# --- Designated roles (A14): the configuration administrator designates and ends them -------------

designations_router = Router()


class DesignationOut(Schema):
    id: int
    username: str
    person_id: int | None
    role: str
    role_label: str
    valid_from: dt.date
    valid_to: dt.date | None = Field(description="exclusive: the first day the role no longer holds")
    reason: str


class DesignationIn(InSchema):
    username: Annotated[str, at_most(150, min_length=1), SINGLE_LINE]
    role: Code
    valid_from: ApiDate
    valid_to: ApiDate | None = Field(None, description="exclusive end (first day no longer held)")
    reason: Annotated[str, at_most(200), SINGLE_LINE] = ""


class DesignationEndIn(InSchema):
    on: ApiDate = Field(description="the first day the role no longer holds")


def _designation_out(d: DesignatedRole) -> DesignationOut:
    return DesignationOut(
        id=d.pk,
        username=d.user.username,
        person_id=d.user.person_id,
        role=d.role,
        role_label=str(d.get_role_display()),
        valid_from=d.valid_from,
        valid_to=d.valid_to,
        reason=d.reason,
    )


@designations_router.get(
    "", response=list[DesignationOut], summary="Designated roles (auditor, configurator, 人事担当)"
)
def list_designations(request, on: ApiDate | None = None, all: bool = False):
    rows = DesignatedRole.objects.restrict(request.auth, "view").select_related("user")
    if not all:
        rows = rows.as_of(on_or_today(on))
    return [_designation_out(d) for d in rows.order_by("role", "valid_from", "id")[:MAX_LIST_ITEMS]]


@designations_router.post("", response={201: DesignationOut}, summary="Designate a role for a period")
def create_designation(request, body: DesignationIn):
    user = get_user_model().objects.filter(username=body.username.strip()).first()
    if user is None:
        raise NotFound(_("No Kengen sign-in has that user name."), field="username")
    d = role_designate(
        actor=request.auth,
        user=user,
        role=body.role,
        valid_from=body.valid_from,
        valid_to=body.valid_to,
        reason=body.reason.strip(),
    )
    return Status(201, _designation_out(d))


@designations_router.post(
    "/{int:designation_id}/end", response=DesignationOut, summary="End a designation on a date"
)
def end_designation(request, designation_id: Id, body: DesignationEndIn):
    d = get_visible(DesignatedRole, request.auth, pk=designation_id)
    return _designation_out(role_designation_end(actor=request.auth, designation=d, on=body.on))
