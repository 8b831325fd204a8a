"""``/api/v1/acknowledgements``: A9 acknowledgements (restricted like the UI)."""

import datetime as dt

from django.utils import timezone
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from kengen.acknowledgements.models import Acknowledgement
from kengen.acknowledgements.selectors import (
    StatusListing,
    acknowledgement_due,
    acknowledgement_next_due,
    acknowledgement_status_listing,
)
from kengen.acknowledgements.services import acknowledgement_record
from kengen.acknowledgements.texts import current_text
from kengen.core.api_schemas import Pagination
from kengen.core.bounds import ApiDate, ApiDateTime, Code, Id, InSchema

router = Router()


class AcknowledgementOut(Schema):
    id: int
    person_id: int
    user_id: int
    text_version: str
    acknowledged_at: dt.datetime


class SectionOut(Schema):
    heading: str
    basis: str
    body: str


class TextOut(Schema):
    version: str
    title: str
    intro: str
    sections: list[SectionOut]
    pledge: str


class MyStatusOut(Schema):
    linked_to_person: bool
    due: bool
    current_version: str
    last_acknowledged_at: dt.datetime | None
    last_version: str | None
    due_again_at: dt.datetime | None


class StatusRowOut(Schema):
    unit_id: int
    unit: str
    person_id: int
    staff_number: str
    name: str
    name_kana: str
    post: str
    has_sign_in: bool
    status: str
    last_acknowledged_at: dt.datetime | None
    last_version: str
    due_again_at: dt.datetime | None


class AcknowledgeIn(InSchema):
    text_version: Code


@router.get(
    "", response=list[AcknowledgementOut], summary="Acknowledgements the caller may see, newest first"
)
@paginate(Pagination)
def list_acknowledgements(request, person: Id | None = None, since: ApiDateTime | None = None):
    qs = Acknowledgement.objects.restrict(request.auth, "view").order_by("-acknowledged_at", "-id")
    if person:
        qs = qs.filter(person_id=person)
    if since:
        qs = qs.filter(acknowledged_at__gte=since)
    return qs


@router.post(
    "", response={201: AcknowledgementOut}, summary="Acknowledge the current text of the duties (A9.2)"
)
def acknowledge(request, payload: AcknowledgeIn):
    ack = acknowledgement_record(
        user=request.auth, text_version=payload.text_version, ip_address=request.META.get("REMOTE_ADDR")
    )
    return Status(201, ack)


@router.get("/text", response=TextOut, summary="The current text of the duties (A9)")
def text(request):
    t = current_text()
    return TextOut(
        version=t.version,
        title=t.title,
        intro=t.intro,
        pledge=t.pledge,
        sections=[SectionOut(heading=s.heading, basis=s.basis, body=s.body) for s in t.sections],
    )


@router.get("/me", response=MyStatusOut, summary="Whether the caller is due to acknowledge")
def me(request):
    user = request.auth
    latest = (
        Acknowledgement.objects.filter(person_id=user.person_id).order_by("-acknowledged_at", "-id").first()
        if user.person_id
        else None
    )
    return MyStatusOut(
        linked_to_person=bool(user.person_id),
        due=acknowledgement_due(user=user),
        current_version=current_text().version,
        last_acknowledged_at=latest.acknowledged_at if latest else None,
        last_version=latest.text_version if latest else None,
        due_again_at=acknowledgement_next_due(user),
    )


class _StatusRows:
    """The status list as django-ninja's paginator reads it: a slice is one page of the listing's
    query (paged in the database), its length the query's count."""

    def __init__(self, listing: StatusListing):
        self.listing = listing

    def __len__(self) -> int:
        return self.listing.assignments.count()

    def __getitem__(self, page: slice) -> list[StatusRowOut]:
        return [
            StatusRowOut(
                unit_id=r.unit_id,
                unit=r.unit,
                person_id=r.person_id,
                staff_number=r.staff_number,
                name=r.name,
                name_kana=r.name_kana,
                post=r.post,
                has_sign_in=r.has_sign_in,
                status=r.status,
                last_acknowledged_at=r.latest_at,
                last_version=r.latest_version,
                due_again_at=r.next_due,
            )
            for r in self.listing.rows(self.listing.assignments[page])
        ]


@router.get(
    "/status",
    response=list[StatusRowOut],
    summary="Per unit: who has acknowledged and who is due (security officers: their units; auditors: all)",
)
@paginate(Pagination)
def status(request, organization: Id | None = None, on: ApiDate | None = None, status: Code | None = None):
    listing = acknowledgement_status_listing(
        user=request.auth, organization_id=organization, on=on or timezone.localdate(), status=status
    )
    return _StatusRows(listing)
