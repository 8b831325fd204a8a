from django.db.models import Q
from ninja import Router, Schema
from ninja.pagination import paginate

from kengen.core.access import get_visible
from kengen.core.api_schemas import Period, on_or_today, period
from kengen.core.bounds import ApiDate, Code, Id
from kengen.core.models import active_on_q
from kengen.core.paging import KeysetPagination
from kengen.organizations.selectors import OrgTree
from kengen.people.models import Person

router = Router()


class PersonOut(Schema):
    id: int
    kind: str
    staff_number: str | None
    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    contractor_id: int | None


class AppointmentOut(Schema):
    employment_type: str
    period: Period
    end_reason: str


class AssignmentOut(Schema):
    organization_id: int
    organization: str
    post: str
    is_primary: bool
    period: Period
    end_reason: str


class PersonDetailOut(PersonOut):
    appointments: list[AppointmentOut]
    assignments: list[AssignmentOut]


@router.get("", response=list[PersonOut], summary="People the caller may see")
@paginate(KeysetPagination)
def list_people(request, q: Code | None = None, organization: Id | None = None, on: ApiDate | None = None):
    date = on_or_today(on)
    qs = Person.objects.restrict(request.auth, "view", on=date)
    if q:
        qs = qs.filter(
            Q(family_name__contains=q)
            | Q(given_name__contains=q)
            | Q(family_name_kana__contains=q)
            | Q(given_name_kana__contains=q)
            | Q(staff_number=q)
        )
    if organization:
        units = OrgTree(date).descendant_ids([organization])
        qs = qs.filter(
            Q(assignments__organization_id__in=units) & active_on_q(date, "assignments__")
        ).distinct()
    return qs


@router.get("/{int:person_id}", response=PersonDetailOut)
def get_person(request, person_id: Id):
    person = get_visible(Person, request.auth, pk=person_id, ip_address=request.META.get("REMOTE_ADDR"))
    assignments = []
    for a in person.assignments.select_related("organization", "post").order_by("valid_from"):
        tree = OrgTree(a.valid_from)
        name = tree.full_name(a.organization_id) if a.organization_id in tree.by_id else a.organization.name
        assignments.append(
            AssignmentOut(
                organization_id=a.organization_id,
                organization=name,
                post=a.post.name,
                is_primary=a.is_primary,
                period=period(a),
                end_reason=a.end_reason,
            )
        )
    return PersonDetailOut(
        **PersonOut.from_orm(person).dict(),
        appointments=[
            AppointmentOut(employment_type=ap.employment_type, period=period(ap), end_reason=ap.end_reason)
            for ap in person.appointments.order_by("valid_from")
        ],
        assignments=assignments,
    )
