"""Reading the management file as of a date, within what the reader may see."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from kengen.contractors.models import Contractor
from kengen.core.era import wareki
from kengen.core.exports import Table
from kengen.core.models import active_on_q, last_day
from kengen.core.paging import Listing
from kengen.grants.choices import AccountKind, GrantBasis, Purpose
from kengen.grants.models import MAX_LISTED_PEOPLE, Account, Grant
from kengen.organizations.selectors import OrgTree
from kengen.people.choices import EmploymentType, PersonKind
from kengen.people.models import Appointment, Assignment, Person
from kengen.roles.selectors import scope_for
from kengen.systems.choices import SystemKind
from kengen.systems.models import System
from kengen.users.models import User


@dataclass(frozen=True)
class FileFilter:
    as_of: dt.date
    system_id: int | None = None
    organization_id: int | None = None
    person_id: int | None = None
    ends_by: dt.date | None = None  # only grants whose last day is before this (exclusive) end
    fiscal_year_appointees: bool = False  # only grants of 会計年度任用職員 appointed on the date
    sort: str = ""  # a key of FILE_SORTS; "" is the file's own order (FILE_ORDER)


@dataclass
class FileRow:
    grant: Grant
    organization: str  # the holder's unit(s) as of the date


#: The management file's order: system, user ID, then business system and permission. Total (ends
#: with the grant's id) so that keyset pages never skip or repeat a row.
FILE_ORDER = (
    "account__system__sort_order",
    "account__system_id",
    "account__user_id",
    "account_id",
    "permission__system__sort_order",
    "permission__sort_order",
    "pk",
)


def people_in_units_q(units: Iterable[int], date: dt.date, prefix: str = "") -> Q:
    """``Q`` for rows whose ``person`` was assigned on ``date`` to one of ``units``.

    The people are looked up first (one indexed query on assignments) and passed as a list, so
    the planner sees ``person_id IN (…)`` it can serve with an index, not a correlated subquery."""

    members = (
        Assignment.objects.filter(active_on_q(date), organization_id__in=units)
        .order_by()  # no default ordering: DISTINCT over person ids alone, no join
        .values_list("person_id", flat=True)
        .distinct()
    )
    ids = list(members[: MAX_LISTED_PEOPLE + 1])
    return Q(**{f"{prefix}person_id__in": ids if len(ids) <= MAX_LISTED_PEOPLE else members})


def grants_as_of(
    *,
    user: User,
    date: dt.date,
    system_id: int | None = None,
    organization_id: int | None = None,
    person_id: int | None = None,
    ends_by: dt.date | None = None,
    fiscal_year_appointees: bool = False,
) -> QuerySet[Grant]:
    """Grants in force on ``date`` that ``user`` may see, narrowed by system, unit or person.

    ``organization_id`` keeps the grants of people assigned on ``date`` to that unit or any unit
    below it (and viewing IDs held by those units). ``ends_by`` keeps the grants that end (their
    exclusive ``valid_to``) on or before it; ``fiscal_year_appointees`` those of people whose
    appointment in force on ``date`` is a fiscal-year one. The dashboard's counts are these
    filters, so a count and the list it links to agree.
    """
    qs = (
        Grant.objects.restrict(user, "view", on=date)
        .filter(active_on_q(date))
        .filter(active_on_q(date, "account__"))
        .select_related(
            "account__system",
            "account__person",
            "account__holder_organization",
            "permission__system",
            "purpose_approved_by",
        )
        .order_by(*FILE_ORDER)
    )
    if system_id:
        qs = qs.filter(Q(account__system_id=system_id) | Q(permission__system_id=system_id))
    if person_id:
        qs = qs.filter(account__person_id=person_id)
    if organization_id:
        units = OrgTree(date).descendant_ids([int(organization_id)])
        qs = qs.filter(
            people_in_units_q(units, date, "account__") | Q(account__holder_organization_id__in=units)
        )
    if ends_by is not None:
        qs = qs.filter(valid_to__isnull=False, valid_to__lte=ends_by)
    if fiscal_year_appointees:
        appointees = Appointment.objects.filter(
            active_on_q(date), employment_type__in=EmploymentType.fiscal_year()
        ).values("person_id")
        qs = qs.filter(account__person_id__in=appointees)
    return qs


def _file_rows(grants: list[Grant], as_of: dt.date, tree: OrgTree) -> list[FileRow]:
    """Each grant with its holder's unit(s) as of the date: one query for the page's people."""

    person_ids = {g.account.person_id for g in grants if g.account.person_id}
    units: dict[int, list[str]] = {}
    if person_ids:
        for a in Assignment.objects.filter(active_on_q(as_of), person_id__in=person_ids).order_by(
            "-is_primary", "valid_from"
        ):
            if a.organization_id in tree.by_id:
                units.setdefault(a.person_id, []).append(tree.full_name(a.organization_id))
    rows = []
    for g in grants:
        if g.account.person_id:
            org = "、".join(units.get(g.account.person_id, []))
        elif g.account.holder_organization_id in tree.by_id:
            org = tree.full_name(g.account.holder_organization_id)
        else:
            org = ""
        rows.append(FileRow(grant=g, organization=org))
    return rows


#: The other orders the management file's columns can be sorted by ("-" first: descending). Each
#: ends with the grant's id, so it is total and keyset pages never skip or repeat a row.
FILE_SORTS: dict[str, tuple[str, ...]] = {
    "user_id": ("account__user_id", "account_id", "id"),
    "-user_id": ("-account__user_id", "-account_id", "-id"),
    "name": ("account__person__family_name_kana", "account__person__given_name_kana", "account_id", "id"),
    "-name": (
        "-account__person__family_name_kana",
        "-account__person__given_name_kana",
        "-account_id",
        "-id",
    ),
    "valid_from": ("valid_from", "id"),
    "-valid_from": ("-valid_from", "-id"),
    "valid_to": ("valid_to", "id"),
    "-valid_to": ("-valid_to", "-id"),
}


def management_file_listing(*, user: User, flt: FileFilter) -> Listing:
    """The management file as a :class:`~kengen.core.paging.Listing` of :class:`FileRow`.

    Partitioned by the user ID's system (the order starts with the system's ``sort_order``, which
    no index on grants can serve): each page is one indexed walk of ``(system, user_id)`` per
    system it touches, so page 900 costs what page 1 costs."""

    grants = grants_as_of(
        user=user,
        date=flt.as_of,
        system_id=flt.system_id,
        organization_id=flt.organization_id,
        person_id=flt.person_id,
        ends_by=flt.ends_by,
        fiscal_year_appointees=flt.fiscal_year_appointees,
    )
    accounts = Account.objects.restrict(user, "view", on=flt.as_of).as_of(flt.as_of)
    if flt.person_id:
        accounts = accounts.filter(person_id=flt.person_id)
    systems = (
        System.objects.filter(id__in=accounts.values("system_id"))
        .order_by("sort_order", "id")
        .values_list("sort_order", "id")
    )
    partitions = [((order, pk), Q(account__system_id=pk)) for order, pk in systems]
    tree_cache: list[OrgTree] = []

    def to_rows(page: list[Grant]) -> list[FileRow]:
        if not tree_cache:
            tree_cache.append(OrgTree(flt.as_of))
        return _file_rows(page, flt.as_of, tree_cache[0])

    if flt.sort in FILE_SORTS:  # a column the user sorted by: one query, no partitions
        return Listing(grants.order_by(*FILE_SORTS[flt.sort]), FILE_SORTS[flt.sort], to_out=to_rows)
    return Listing(grants, FILE_ORDER, to_out=to_rows, partitions=partitions)


def management_file(*, user: User, flt: FileFilter) -> list[FileRow]:
    """Every row of the management file as of ``flt.as_of`` (small files and tests; lists and
    exports page or stream through :func:`management_file_listing`)."""
    return list(management_file_listing(user=user, flt=flt).iterate())


def _file_headers() -> list[str]:
    return [
        _("System"),
        _("Business system"),
        _("User ID"),
        _("Kind"),
        _("Staff number"),
        _("Name"),
        _("Name (kana)"),
        _("Organization"),
        _("Permission"),
        _("Purpose"),
        _("Valid from"),
        _("Valid until"),
        _("Basis"),
        _("Basis reference"),
    ]


def management_file_table(rows: Iterable[FileRow], as_of: dt.date) -> Table:
    """The file as a table to export; ``rows`` may be a list or a stream (then so is the table)."""

    def row(r: FileRow) -> list[Any]:
        g = r.grant
        a = g.account
        p = a.person
        return [
            a.system.name,
            g.permission.system.name if g.permission.system_id != a.system_id else "",
            a.user_id,
            a.get_kind_display(),
            p.staff_number if p else "",
            p.full_name if p else "",
            p.full_name_kana if p else "",
            r.organization,
            g.permission.name,
            g.get_purpose_display() + (f" ({g.purpose_note})" if g.purpose_note else ""),
            g.valid_from,  # real dates: the spreadsheet shows them in the era and sorts them
            last_day(g.valid_to),
            g.get_basis_display(),
            g.basis_reference,
        ]

    return Table(
        title=_("Management file as of %(date)s") % {"date": wareki(as_of)},
        headers=_file_headers(),
        rows=[row(r) for r in rows] if isinstance(rows, list) else (row(r) for r in rows),
    )


_EXPORT_VALUES = (
    "account__system_id",
    "account__system__name",
    "permission__system_id",
    "permission__system__name",
    "account__user_id",
    "account__kind",
    "account__person_id",
    "account__person__staff_number",
    "account__person__family_name",
    "account__person__given_name",
    "account__person__family_name_kana",
    "account__person__given_name_kana",
    "account__holder_organization_id",
    "permission__name",
    "purpose",
    "purpose_note",
    "valid_from",
    "valid_to",
    "basis",
    "basis_reference",
)


def management_file_export(listing: Listing, as_of: dt.date, chunk: int = 5000) -> Table:
    """The same table as :func:`management_file_table` for a whole listing, streamed: plain values
    (no model instances), labels looked up once, units per chunk of rows; dates stay dates."""

    kinds = {k: str(v) for k, v in AccountKind.choices}
    purposes = {k: str(v) for k, v in Purpose.choices}
    bases = {k: str(v) for k, v in GrantBasis.choices}

    def rows() -> Iterator[list[Any]]:
        tree = OrgTree(as_of)
        stream = listing.iterate(chunk, values=_EXPORT_VALUES)
        while True:
            batch = [r for _, r in zip(range(chunk), stream, strict=False)]
            if not batch:
                return
            units: dict[int, list[str]] = {}
            people = {r[6] for r in batch if r[6]}  # account__person_id
            for person_id, org_id in (
                Assignment.objects.filter(active_on_q(as_of), person_id__in=people)
                .order_by("-is_primary", "valid_from")
                .values_list("person_id", "organization_id")
            ):
                if org_id in tree.by_id:
                    units.setdefault(person_id, []).append(tree.full_name(org_id))
            for r in batch:
                (
                    system_id,
                    system_name,
                    perm_system_id,
                    perm_system_name,
                    user_id,
                    kind,
                    pid,
                    staff_number,
                    family,
                    given,
                    family_kana,
                    given_kana,
                    holder,
                    permission,
                    purpose,
                    note,
                    valid_from,
                    valid_to,
                    basis,
                    reference,
                ) = r[:20]
                if pid:
                    org = "、".join(units.get(pid, []))
                elif holder in tree.by_id:
                    org = tree.full_name(holder)
                else:
                    org = ""
                yield [
                    system_name,
                    perm_system_name if perm_system_id != system_id else "",
                    user_id,
                    kinds.get(kind, kind),
                    (staff_number or "") if pid else "",
                    f"{family} {given}" if pid else "",
                    f"{family_kana} {given_kana}" if pid else "",
                    org,
                    permission,
                    purposes.get(purpose, purpose) + (f" ({note})" if note else ""),
                    valid_from,
                    last_day(valid_to),
                    bases.get(basis, basis),
                    reference,
                ]
            if len(batch) < chunk:
                return

    return Table(
        title=_("Management file as of %(date)s") % {"date": wareki(as_of)},
        headers=_file_headers(),
        rows=rows(),
    )


# --- Who may act on which part of the file (A5.5–A5.9): shared by the UI and the API -------------


def direct_grant_systems(user: User, on: dt.date) -> list[System]:
    """The systems ``user`` may grant directly on ``on`` (A5.5): the core package and the
    intermediate server, when the user administers them that day."""

    ids = scope_for(user).administered_system_ids
    return list(
        System.objects.as_of(on)
        .filter(parent__isnull=True, kind__in=(SystemKind.CORE, SystemKind.INTERMEDIATE), id__in=ids)
        .order_by("sort_order", "code")
    )


def administered_account_systems(user: User, on: dt.date) -> list[System]:
    """The systems (not business systems: IDs live on the core package) ``user`` administers."""

    ids = scope_for(user).administered_system_ids
    return list(
        System.objects.as_of(on).filter(parent__isnull=True, id__in=ids).order_by("sort_order", "code")
    )


def maintenance_people(user: User) -> QuerySet[Person]:
    """Maintenance staff ``user`` may register IDs for (A5.9): the personnel of the contractors an
    administrator sees, plus anyone already visible to them."""

    visible = Person.objects.restrict(user, "view").values("pk")
    contractors = Contractor.objects.restrict(user, "view").values("pk")
    return (
        Person.objects.filter(kind=PersonKind.MAINTENANCE)
        .filter(Q(pk__in=visible) | Q(contractor__in=contractors))
        .select_related("contractor")
    )


def maintenance_accounts(user: User, *, on: dt.date, include_ended: bool = False) -> QuerySet[Account]:
    """Maintenance staff IDs on the systems ``user`` administers (everything for an auditor),
    in force on or after ``on`` unless ``include_ended``."""
    from kengen.grants.choices import AccountKind

    scope = scope_for(user)
    qs = Account.objects.restrict(user, "view").filter(kind=AccountKind.MAINTENANCE)
    if not scope.sees_everything:
        qs = qs.filter(system_id__in=scope.administered_system_ids)
    if not include_ended:
        qs = qs.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on))
    return qs.select_related("system", "person__contractor").order_by(
        "system__sort_order", "user_id", "-valid_from"
    )


def open_grants(account: Account, on: dt.date) -> QuerySet[Grant]:
    """The grants of ``account`` not yet ended on ``on`` (in force that day or starting later)."""
    return (
        Grant.objects.filter(account=account, ended_at__isnull=True)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on))
        .select_related("permission__system")
        .order_by("permission__system__sort_order", "permission__sort_order")
    )


# --- the per-person view: people × permissions ------------------------------------------------------


@dataclass(frozen=True)
class MatrixColumn:
    """One permission of one system: a column of the per-person view."""

    key: tuple[int, int]  # (system id of the user ID, permission id)
    system: str
    permission: str


@dataclass
class MatrixRow:
    person: Person
    unit: str
    user_ids: list[str]
    held: set[tuple[int, int]]


@dataclass
class PermissionMatrix:
    """Who holds which permission of which system on a date (the management file per person)."""

    as_of: dt.date
    columns: list[MatrixColumn]
    rows: list[MatrixRow]

    def systems(self) -> list[tuple[str, int]]:
        """The column groups: each system's name and how many permission columns it spans."""
        groups: list[tuple[str, int]] = []
        for c in self.columns:
            if groups and groups[-1][0] == c.system:
                groups[-1] = (c.system, groups[-1][1] + 1)
            else:
                groups.append((c.system, 1))
        return groups


def matrix_people(*, user: User, as_of: dt.date, organization_id: int | None) -> QuerySet[Person]:
    """The people of the per-person view, in the database's order (a paginator pages them): those
    assigned on ``as_of`` to ``organization_id`` and the units below it, or — without one — to the
    units the user is security officer of, or else everyone whose rows the user may see."""
    people = Person.objects.restrict(user, "view", on=as_of)
    units: set[int] | None = None
    if organization_id:
        units = set(OrgTree(as_of).descendant_ids([int(organization_id)]))
    else:
        scope = scope_for(user)
        if scope.officer_org_ids and not scope.sees_everything:
            units = set(scope.officer_org_ids)
    if units is not None:
        people = people.filter(
            pk__in=Assignment.objects.filter(active_on_q(as_of), organization_id__in=units).values(
                "person_id"
            )
        )
    else:
        people = people.filter(pk__in=grants_as_of(user=user, date=as_of).values("account__person_id"))
    return people.order_by("family_name_kana", "given_name_kana", "staff_number", "pk")


def permission_matrix(*, user: User, as_of: dt.date, people: Sequence[Person]) -> PermissionMatrix:
    """The permissions ``people`` (one page of :func:`matrix_people`) hold on ``as_of``, as far as
    ``user`` may see them: one query for the grants, one for the units."""
    ids = [p.pk for p in people]
    grants = list(
        grants_as_of(user=user, date=as_of)
        .filter(account__person_id__in=ids)
        .select_related("account__system", "permission__system")
    )
    columns: dict[tuple[int, int], MatrixColumn] = {}
    order: dict[tuple[int, int], tuple[Any, ...]] = {}
    held: dict[int, set[tuple[int, int]]] = {}
    user_ids: dict[int, set[str]] = {}
    for g in grants:
        system = g.account.system
        key = (system.pk, g.permission_id)
        if key not in columns:
            perm = g.permission
            label = perm.name if perm.system_id == system.pk else f"{perm.system.name} {perm.name}"
            columns[key] = MatrixColumn(key=key, system=system.name, permission=label)
            order[key] = (system.sort_order, system.code, perm.system.sort_order, perm.sort_order, perm.code)
        pid = g.account.person_id
        assert pid is not None
        held.setdefault(pid, set()).add(key)
        user_ids.setdefault(pid, set()).add(g.account.user_id)
    tree = OrgTree(as_of)
    units: dict[int, list[str]] = {}
    for a in Assignment.objects.filter(active_on_q(as_of), person_id__in=ids).order_by(
        "-is_primary", "valid_from"
    ):
        if a.organization_id in tree.by_id:
            units.setdefault(a.person_id, []).append(tree.full_name(a.organization_id))
    return PermissionMatrix(
        as_of=as_of,
        columns=sorted(columns.values(), key=lambda c: order[c.key]),
        rows=[
            MatrixRow(
                person=p,
                unit="、".join(units.get(p.pk, [])),
                user_ids=sorted(user_ids.get(p.pk, set())),
                held=held.get(p.pk, set()),
            )
            for p in people
        ],
    )
