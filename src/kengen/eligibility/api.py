import datetime as dt

from ninja import Router, Schema

from kengen.core.access import get_visible
from kengen.core.api_schemas import Period, on_or_today, period
from kengen.core.bounds import ApiDate, Id
from kengen.eligibility.models import EligibilityEntry
from kengen.eligibility.selectors import direct_grant_eligibility
from kengen.people.models import Person

router = Router()


class Table2EntryOut(Schema):
    id: int
    listed_as: str
    organization_id: int
    scope: str
    unit_ids: list[int]
    source: str
    period: Period


class EligibilityOut(Schema):
    person_id: int
    on: dt.date
    eligible: bool
    reason: str
    entry_id: int | None


@router.get("/table", response=list[Table2EntryOut], summary="別表第2 as of a date")
def table(request, on: ApiDate | None = None):
    date = on_or_today(on)
    qs = EligibilityEntry.objects.restrict(request.auth, "view").as_of(date).prefetch_related("units")
    return [
        Table2EntryOut(
            id=e.id,
            listed_as=e.listed_as,
            organization_id=e.organization_id,
            scope=e.scope,
            unit_ids=[u.id for u in e.units.all()],
            source=e.source,
            period=period(e),
        )
        for e in qs
    ]


@router.get(
    "/people/{int:person_id}",
    response=EligibilityOut,
    summary="May the core / intermediate-server administrator grant this person directly (A5.5)?",
)
def person_eligibility(request, person_id: Id, on: ApiDate | None = None):
    date = on_or_today(on)
    person = get_visible(
        Person, request.auth, pk=person_id, on=date, ip_address=request.META.get("REMOTE_ADDR")
    )
    result = direct_grant_eligibility(person, date)
    return EligibilityOut(
        person_id=person.id,
        on=date,
        eligible=result.eligible,
        reason=result.reason,
        entry_id=result.entry.id if result.entry else None,
    )
