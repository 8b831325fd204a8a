"""Who holds which role on a date, derived from posts (A3, A4).

Nothing here is typed in per person: the security officer of a unit is the head of the nearest
security unit at or above it; the administrator of a system is the head of its owning division on
that day. When the post holder changes, the powers move on the effective date.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import get_language

from kengen.core.models import active_on_q
from kengen.core.versions import SCOPE_VERSION, data_version, data_versions, shared_caches_clear
from kengen.organizations.models import Organization
from kengen.organizations.selectors import OrgTree, successor_on
from kengen.people.models import Assignment, Person
from kengen.roles.choices import Role
from kengen.roles.models import DesignatedRole
from kengen.systems.choices import SystemKind
from kengen.systems.models import System


@dataclass(frozen=True)
class RoleHolding:
    """One role held on a date, and over what (a unit or a system)."""

    role: str
    organization_id: int | None = None
    system_id: int | None = None
    label: str = ""

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label)


@dataclass
class Scope:
    """What one user may reach on one date. Built by ``scope_for``; read by every
    ``restrict_to_scope``."""

    user_id: int | None
    person_id: int | None
    date: dt.date
    is_superuser: bool = False
    is_auditor: bool = False
    is_configurator: bool = False
    is_personnel: bool = False  # 人事担当: records people, appointments and assignments
    officer_unit_ids: set[int] = field(default_factory=set)  # security units headed
    officer_org_ids: set[int] = field(default_factory=set)  # those units and all below them
    administered_system_ids: set[int] = field(default_factory=set)
    central_roles: set[str] = field(default_factory=set)  # core/two-factor/intermediate admin
    holdings: list[RoleHolding] = field(default_factory=list)

    @property
    def sees_everything(self) -> bool:
        """Read access to everything: the auditor (read-only) and the superuser."""
        return self.is_superuser or self.is_auditor

    @property
    def is_core_admin(self) -> bool:
        return Role.CORE_ADMIN in self.central_roles

    @property
    def is_central_admin(self) -> bool:
        return bool(self.central_roles)

    @property
    def is_officer(self) -> bool:
        return bool(self.officer_unit_ids)

    @property
    def has_any_role(self) -> bool:
        return bool(self.holdings) or self.sees_everything or self.is_configurator or self.is_personnel


_CENTRAL_ROLE_OF_KIND: dict[str, Role] = {
    SystemKind.CORE: Role.CORE_ADMIN,
    SystemKind.TWO_FACTOR: Role.TWO_FACTOR_ADMIN,
    SystemKind.INTERMEDIATE: Role.INTERMEDIATE_ADMIN,
}


def headed_org_ids(person_id: int, date: dt.date) -> set[int]:
    """Units the person heads on ``date`` (an assignment there with a head post)."""

    return set(
        Assignment.objects.filter(active_on_q(date), person_id=person_id, post__is_head=True).values_list(
            "organization_id", flat=True
        )
    )


def _predecessor_ids(org_ids: set[int]) -> set[int]:
    found: set[int] = set()
    frontier = set(org_ids)
    links = Organization.predecessors.through
    while frontier:
        previous = (
            set(
                links.objects.filter(from_organization_id__in=frontier).values_list(
                    "to_organization_id", flat=True
                )
            )
            - found
            - org_ids
        )
        found |= previous
        frontier = previous
    return found


def _owner_of(system: System, date: dt.date) -> Organization | None:
    """``system.owner_on(date)`` without a query while the owner (fetched with the system) exists."""
    if system.owner.is_active_on(date):
        return system.owner

    return successor_on(system.owner, date)


#: Scopes computed by earlier requests of this process, keyed by the user's own fields, the date,
#: the language (holdings carry translated labels) and the scope data version.
_shared_scopes: OrderedDict[tuple[Any, ...], Scope] = OrderedDict()
_shared_lock = threading.Lock()
SHARED_SCOPES_MAX = 4096


def scope_data_version() -> int | None:
    """The current scope data version (``None``: see ``data_versions``)."""
    versions = data_versions()
    return None if versions is None else versions.get(SCOPE_VERSION)


def scope_cache_clear() -> None:
    """Forget the scopes shared across requests (tests; the version makes it unnecessary else)."""
    with _shared_lock:
        _shared_scopes.clear()
    shared_caches_clear()  # and what else is kept under a data version


def scope_for(user: Any, *, on: dt.date | None = None) -> Scope:
    """The roles and reach of ``user`` on ``on`` (default: today in Asia/Tokyo).

    Cached for the request on the user object, and across requests in this process under the
    scope data version, which database triggers bump on every write to the tables read here: a
    role change is seen by the next request that starts after it committed. Anything else cached
    on a ``Scope`` (``grants.models.officer_member_ids``) must derive only from those tables."""
    date = on or timezone.localdate()
    cache = user.__dict__.setdefault("_kengen_scope_cache", {})
    if date in cache:
        return cache[date]
    person_id = getattr(user, "person_id", None)
    version = data_version(user, SCOPE_VERSION)
    key = (user.pk, person_id, bool(user.is_superuser), bool(user.is_active), date, get_language(), version)
    if version is not None:
        with _shared_lock:
            shared = _shared_scopes.get(key)
        if shared is not None:
            cache[date] = shared
            return shared
    scope = _compute_scope(user, person_id, date)
    if version is not None:
        with _shared_lock:
            _shared_scopes[key] = scope
            while len(_shared_scopes) > SHARED_SCOPES_MAX:
                _shared_scopes.popitem(last=False)
    cache[date] = scope
    return scope


def _compute_scope(user: Any, person_id: int | None, date: dt.date) -> Scope:
    scope = Scope(user_id=user.pk, person_id=person_id, date=date, is_superuser=bool(user.is_superuser))
    designated = set(
        DesignatedRole.objects.filter(active_on_q(date), user_id=user.pk).values_list("role", flat=True)
    )
    scope.is_auditor = Role.AUDITOR in designated
    scope.is_configurator = scope.is_superuser or Role.CONFIGURATOR in designated
    scope.is_personnel = scope.is_superuser or Role.PERSONNEL in designated
    for role in sorted(designated):
        scope.holdings.append(RoleHolding(role=role, label=str(Role(role).label)))
    if person_id and user.is_active:
        heads = headed_org_ids(person_id, date)
        if heads:
            tree = OrgTree(date)
            for org_id in sorted(heads):
                org = tree.by_id.get(org_id)
                if org is not None and org.is_security_unit:
                    scope.officer_unit_ids.add(org_id)
                    scope.holdings.append(
                        RoleHolding(
                            Role.SECURITY_OFFICER, organization_id=org_id, label=tree.full_name(org_id)
                        )
                    )
            scope.officer_org_ids = tree.descendant_ids(scope.officer_unit_ids)
            # A4 across reorganizations: the units their units succeeded, so the officer can read
            # the file as of a past date for the people who were in the predecessor units then.
            scope.officer_org_ids |= _predecessor_ids(scope.officer_org_ids)
            roots = System.objects.as_of(date).filter(parent__isnull=True).select_related("owner")
            for system in (r for r in roots if (o := _owner_of(r, date)) is not None and o.id in heads):
                scope.administered_system_ids.add(system.id)
                role = _CENTRAL_ROLE_OF_KIND.get(system.kind, Role.SYSTEM_ADMIN)
                if role != Role.SYSTEM_ADMIN:
                    scope.central_roles.add(role)
                label = system.name if role == Role.SYSTEM_ADMIN else ""  # central roles name their system
                scope.holdings.append(RoleHolding(role, system_id=system.id, label=label))
            scope.administered_system_ids.update(
                System.objects.filter(parent_id__in=scope.administered_system_ids).values_list(
                    "id", flat=True
                )
            )
    return scope


def heads_of(org_id: int, date: dt.date) -> QuerySet[Person]:
    """People heading the unit on ``date`` (usually one; more during a handover)."""
    from django.db.models import Exists, OuterRef

    # One assignment must be all three at once: in this unit, a head post, in force on the date.
    # (Chained filters on ``assignments__`` would each match a different assignment, so a former
    # head still employed elsewhere would keep the unit's roles.)
    heading = Assignment.objects.filter(
        active_on_q(date), person=OuterRef("pk"), organization_id=org_id, post__is_head=True
    )
    return Person.objects.filter(Exists(heading))


def security_officers_for(org_id: int, date: dt.date) -> QuerySet[Person]:
    """The security officer(s) responsible for a unit on ``date`` (A4)."""

    tree = OrgTree(date)
    unit = tree.security_unit_of(org_id)
    return heads_of(unit.id, date) if unit else Person.objects.none()


def _assignments_primary_first(person: Person, date: dt.date) -> list[Assignment]:
    return sorted(person.assignments_on(date), key=lambda a: (not a.is_primary, a.valid_from))


def security_officers_of_person(person: Person, date: dt.date) -> list[Person]:
    """The security officers of ``person`` on ``date`` (A4): those of every unit the person is
    assigned to that day, the primary assignment's first, each once. The one helper for "who is
    this person's security officer" (approvals of purpose, A10; notices, A5.6/A5.8/A6.4)."""
    officers: list[Person] = []
    seen: set[int] = set()
    for a in _assignments_primary_first(person, date):
        for officer in security_officers_for(a.organization_id, date):
            if officer.pk not in seen:
                seen.add(officer.pk)
                officers.append(officer)
    return officers


def security_officer_of_person(person: Person, date: dt.date) -> Person | None:
    """The one security officer who acts for ``person`` on ``date`` (A4), or ``None``: the officer
    of their primary unit (then of their other units), someone other than the person themself when
    there is one (a head's own temporary password goes to another officer if the unit has one)."""
    for a in _assignments_primary_first(person, date):
        officers = security_officers_for(a.organization_id, date)
        officer = officers.exclude(pk=person.pk).first() or officers.first()
        if officer is not None:
            return officer
    return None


def administrators_of(system: System, date: dt.date) -> QuerySet[Person]:
    """The administrator(s) of ``system`` on ``date`` (A3): heads of its owning division."""
    root = system.account_system
    owner = root.owner_on(date)
    if owner is None:
        return Person.objects.none()
    return heads_of(owner.id, date)


def administrators_by_system(systems: Iterable[System], date: dt.date) -> dict[int, list[Person]]:
    """``administrators_of`` for many systems at once (one query for all the heads): account
    system id → its administrators on ``date``. Select ``owner`` and ``parent__owner`` with them."""
    owners: dict[int, int | None] = {}
    for system in systems:
        root = system.account_system
        if root.id not in owners:
            owner = _owner_of(root, date)
            owners[root.id] = owner.id if owner else None
    heads: dict[int, dict[int, Person]] = {}
    in_force = Assignment.objects.filter(
        active_on_q(date), post__is_head=True, organization_id__in={o for o in owners.values() if o}
    )
    for a in in_force.select_related("person"):
        heads.setdefault(a.organization_id, {})[a.person_id] = a.person

    def in_person_order(people: Iterable[Person]) -> list[Person]:  # as ``heads_of`` orders them
        return sorted(people, key=lambda p: (p.family_name_kana, p.given_name_kana, p.id))

    return {
        root: in_person_order(heads.get(owner, {}).values()) if owner is not None else []
        for root, owner in owners.items()
    }


def role_holders(date: dt.date) -> list[tuple[RoleHolding, list]]:
    """Every post-derived role and who holds it on ``date``, for the roles page."""

    tree = OrgTree(date)
    heads: dict[int, list] = {}
    for a in Assignment.objects.filter(active_on_q(date), post__is_head=True).select_related("person"):
        heads.setdefault(a.organization_id, []).append(a.person)
    rows: list[tuple[RoleHolding, list]] = []
    for system in System.objects.as_of(date).filter(parent__isnull=True).select_related("owner"):
        role = _CENTRAL_ROLE_OF_KIND.get(system.kind, Role.SYSTEM_ADMIN)
        owner = _owner_of(system, date)
        rows.append(
            (
                RoleHolding(role, system_id=system.id, label=system.name),
                heads.get(owner.id, []) if owner else [],
            )
        )
    for org, _depth in tree.walk():
        if org.is_security_unit:
            rows.append(
                (
                    RoleHolding(Role.SECURITY_OFFICER, organization_id=org.id, label=tree.full_name(org.id)),
                    heads.get(org.id, []),
                )
            )
    return rows


def heads_by_org(date: dt.date, org_ids: Iterable[int] | None = None) -> dict[int, list]:
    """Unit id → the people heading it on ``date`` (one query; for the organization tree), for
    the units ``org_ids`` (default: every unit)."""

    heads: dict[int, list] = {}
    in_force = Assignment.objects.filter(active_on_q(date), post__is_head=True)
    if org_ids is not None:
        in_force = in_force.filter(organization_id__in=list(org_ids))
    for a in in_force.select_related("person", "post"):
        heads.setdefault(a.organization_id, []).append(a.person)
    return heads
