"""Who has acknowledged the A9 duties, and who is due to (again)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from kengen.acknowledgements import texts
from kengen.acknowledgements.choices import AcknowledgementStatus
from kengen.acknowledgements.models import Acknowledgement
from kengen.core.exceptions import NotFound, PermissionDenied
from kengen.core.models import active_on_q
from kengen.core.versions import ACKNOWLEDGEMENT_VERSION, SharedCache, data_version
from kengen.organizations.selectors import OrgTree
from kengen.people.models import Assignment
from kengen.roles.selectors import scope_for
from kengen.users.models import User


def interval() -> dt.timedelta:
    return dt.timedelta(days=int(settings.KENGEN_ACKNOWLEDGEMENT_INTERVAL_DAYS))


def status_of(latest_at: dt.datetime | None, latest_version: str | None, *, now: dt.datetime) -> str:
    if latest_at is None:
        return AcknowledgementStatus.NEVER
    if latest_version != texts.CURRENT_VERSION or latest_at + interval() <= now:
        return AcknowledgementStatus.DUE
    return AcknowledgementStatus.CURRENT


def latest_for_person(person_id: int) -> Acknowledgement | None:
    return Acknowledgement.objects.filter(person_id=person_id).order_by("-acknowledged_at", "-id").first()


#: Each person's latest acknowledgement (time, text version) or ``None``, kept by this process
#: under the acknowledgement data version (bumped by a trigger on every write to the table): the
#: middleware asks on every request, and the answer changes only with a new acknowledgement.
_latest_shared = SharedCache(limit=8192)


def _latest_of(user: Any, person_id: int) -> tuple[dt.datetime, str] | None:
    version = data_version(user, ACKNOWLEDGEMENT_VERSION)
    key = (person_id, version)
    if version is not None and (kept := _latest_shared.get(key)) is not SharedCache.MISSING:
        return kept  # type: ignore[no-any-return]
    latest = latest_for_person(person_id)
    value = (latest.acknowledged_at, latest.text_version) if latest else None
    if version is not None:
        _latest_shared.put(key, value)
    return value


def acknowledgement_due(*, user: Any, now: dt.datetime | None = None) -> bool:
    """Must ``user`` acknowledge the duties before going on? Users linked to a person must, at their
    first sign-in, again after the configured interval, and whenever the text changes (A9.2)."""
    person_id = getattr(user, "person_id", None)
    if not person_id:
        return False
    latest = _latest_of(user, person_id)
    now = now or timezone.now()
    if latest is None:
        return True
    return status_of(latest[0], latest[1], now=now) != AcknowledgementStatus.CURRENT


def acknowledgement_next_due(user: Any) -> dt.datetime | None:
    latest = latest_for_person(user.person_id) if getattr(user, "person_id", None) else None
    return latest.acknowledged_at + interval() if latest else None


@dataclass(frozen=True)
class StatusRow:
    """One person in a unit, with where they stand with the acknowledgement."""

    unit_id: int
    unit: str
    person_id: int
    staff_number: str
    name: str
    name_kana: str
    post: str
    has_sign_in: bool
    latest_at: dt.datetime | None
    latest_version: str
    next_due: dt.datetime | None
    status: str

    @property
    def status_label(self) -> str:
        return str(AcknowledgementStatus(self.status).label)


def reachable_units(user: Any) -> set[int] | None:
    """Units whose people ``user`` may list, by the roles held today: all (``None``) for auditors
    and the superuser, their own units and those below for security officers (A4); nobody else."""

    scope = scope_for(user)
    if scope.sees_everything:
        return None
    if scope.officer_org_ids:
        return set(scope.officer_org_ids)
    raise PermissionDenied("Only security officers (for their units) and auditors can list acknowledgements.")


@dataclass(frozen=True)
class StatusListing:
    """The people of the A9 status list as a database query (filters, status, order and counts in
    SQL), and how to turn the page shown into ``StatusRow`` s: a page costs the same whatever the
    number of people (CONVENTIONS 14)."""

    #: Assignments annotated with ``latest_at``, ``latest_version``, ``has_sign_in``, ``ack_status``.
    assignments: QuerySet[Any]
    tree: OrgTree

    def rows(self, assignments: Iterable[Any]) -> list[StatusRow]:
        """``StatusRow`` s of ``assignments`` (a page of ``self.assignments``)."""
        return [
            StatusRow(
                unit_id=a.organization_id,
                unit=self.tree.full_name(a.organization_id),
                person_id=a.person_id,
                staff_number=a.person.staff_number or "",
                name=a.person.full_name,
                name_kana=a.person.full_name_kana,
                post=a.post.name,
                has_sign_in=a.has_sign_in,
                latest_at=a.latest_at,
                latest_version=a.latest_version or "",
                next_due=a.latest_at + interval() if a.latest_at else None,
                status=a.ack_status,
            )
            for a in assignments
        ]

    def counts(self) -> dict[str, int]:
        """How many people of the list are in each status (one query)."""
        counts = {s.value: 0 for s in AcknowledgementStatus}
        for row in self.assignments.order_by().values("ack_status").annotate(n=Count("pk")):
            counts[row["ack_status"]] = row["n"]
        return counts


def acknowledgement_status_listing(
    *, user: Any, organization_id: int | None = None, on: dt.date | None = None, status: str | None = None
) -> StatusListing:
    """Everyone assigned on ``on`` to the unit (and below) or, without a unit, to every unit the
    user reaches, with their latest acknowledgement, once per unit, in the order of the unit tree
    then by kana name. A unit outside the user's reach is "not found"."""

    date = on or timezone.localdate()
    now = timezone.now()
    reach = reachable_units(user)
    tree = OrgTree(date)
    if organization_id is not None:
        if organization_id not in tree.by_id or (reach is not None and organization_id not in reach):
            raise NotFound("No such unit.")
        units = tree.descendant_ids([organization_id])
    else:
        units = reach if reach is not None else set(tree.by_id)
    latest = Acknowledgement.objects.filter(person_id=OuterRef("person_id")).order_by(
        "-acknowledged_at", "-id"
    )
    # A person holding two posts in one unit is listed once, with the first assignment.
    earlier = Assignment.objects.filter(
        active_on_q(date),
        organization_id=OuterRef("organization_id"),
        person_id=OuterRef("person_id"),
        pk__lt=OuterRef("pk"),
    )
    sign_in = User.objects.filter(person_id=OuterRef("person_id"), is_active=True)
    order = {o.id: i for i, (o, _d) in enumerate(tree.walk()) if o.id in units}
    unsigned = When(has_sign_in=False, then=Value(AcknowledgementStatus.NO_SIGN_IN))
    assignments = (
        Assignment.objects.filter(active_on_q(date), organization_id__in=units)
        .exclude(Exists(earlier))
        .annotate(
            latest_at=Subquery(latest.values("acknowledged_at")[:1]),
            latest_version=Subquery(latest.values("text_version")[:1]),
            has_sign_in=Exists(sign_in),
        )
        .annotate(
            # status_of in SQL; without a sign-in, a person who is not current cannot acknowledge.
            ack_status=Case(
                When(
                    latest_at__isnull=True,
                    then=Case(unsigned, default=Value(AcknowledgementStatus.NEVER)),
                ),
                When(
                    Q(latest_at__lte=now - interval()) | ~Q(latest_version=texts.CURRENT_VERSION),
                    then=Case(unsigned, default=Value(AcknowledgementStatus.DUE)),
                ),
                default=Value(AcknowledgementStatus.CURRENT),
                output_field=CharField(),
            ),
            unit_order=Case(
                *(When(organization_id=org_id, then=Value(i)) for org_id, i in order.items()),
                default=Value(0),
                output_field=IntegerField(),
            ),
        )
        .select_related("person", "post")
        .order_by("unit_order", "person__family_name_kana", "person__given_name_kana", "person_id", "pk")
    )
    if status:
        assignments = assignments.filter(ack_status=status)
    return StatusListing(assignments, tree)


def acknowledgement_status_rows(
    *, user: Any, organization_id: int | None = None, on: dt.date | None = None, status: str | None = None
) -> list[StatusRow]:
    """Every row of ``acknowledgement_status_listing`` at once (for a few rows: tests, scripts). The
    page, its export and the API read the listing's query page by page instead."""
    listing = acknowledgement_status_listing(user=user, organization_id=organization_id, on=on, status=status)
    return listing.rows(listing.assignments)
