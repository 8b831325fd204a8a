"""Reading the organization tree as of a date."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from functools import cached_property
from typing import Any

from kengen.core.versions import SCOPE_VERSION, SharedCache, data_version
from kengen.organizations.choices import OrganizationKind
from kengen.organizations.models import Organization


class OrgTree:
    """All units in force on one date, with parent/child navigation done in memory.

    A municipality has at most a few thousand units, so one query per request is cheaper than
    recursive SQL and behaves the same on SQLite and PostgreSQL.
    """

    def __init__(self, date: dt.date, orgs: Iterable[Organization] | None = None):
        self.date = date
        if orgs is None:
            orgs = Organization.objects.as_of(date).order_by("sort_order", "code")
        self.by_id: dict[int, Organization] = {o.id: o for o in orgs}
        self.children: dict[int | None, list[Organization]] = defaultdict(list)
        for o in self.by_id.values():
            parent = o.parent_id if o.parent_id in self.by_id else None
            self.children[parent].append(o)

    @cached_property
    def roots(self) -> list[Organization]:
        return self.children[None]

    def ancestors(self, org_id: int) -> list[Organization]:
        """From the root down to the unit's parent."""
        chain: list[Organization] = []
        org = self.by_id.get(org_id)
        while org is not None and org.parent_id in self.by_id:
            org = self.by_id[org.parent_id]
            chain.append(org)
        return list(reversed(chain))

    def descendant_ids(self, org_ids: Iterable[int], *, include_self: bool = True) -> set[int]:
        result: set[int] = set()
        stack = [i for i in org_ids if i in self.by_id]
        if include_self:
            result.update(stack)
        while stack:
            for child in self.children.get(stack.pop(), []):
                if child.id not in result:
                    result.add(child.id)
                    stack.append(child.id)
        return result

    def full_name(self, org_id: int) -> str:
        """The name as official lists write it: 総務部職員課, 端野総合支所総務課 (city root omitted)."""
        org = self.by_id[org_id]
        parts = [a.name for a in self.ancestors(org_id) if a.kind != OrganizationKind.CITY]
        return "".join([*parts, org.name])

    def security_unit_of(self, org_id: int) -> Organization | None:
        """The nearest unit at or above ``org_id`` that has a security officer."""
        org = self.by_id.get(org_id)
        while org is not None:
            if org.is_security_unit:
                return org
            org = self.by_id.get(org.parent_id) if org.parent_id else None
        return None

    def walk(self) -> list[tuple[Organization, int]]:
        """Depth-first (unit, depth) pairs for rendering the tree."""
        out: list[tuple[Organization, int]] = []

        def visit(o: Organization, depth: int) -> None:
            out.append((o, depth))
            for c in self.children.get(o.id, []):
                visit(c, depth + 1)

        for r in self.roots:
            visit(r, 0)
        return out


def org_tree(date: dt.date) -> OrgTree:
    return OrgTree(date)


#: Organization charts built by earlier requests of this process, by (date, scope data version):
#: the version counts every write to organizations and their predecessor links.
_shared_charts = SharedCache(limit=64)


def chart_as_of(date: dt.date, *, user: Any) -> OrgTree:
    """The units in force on ``date`` that ``user`` may view, in chart order (sort order, code):
    every unit, for everyone (the chart is not confidential, see ``OrganizationQuerySet``; a test
    in ``core/tests/test_request_caches.py`` fails if that changes), so one tree is shared by all
    users' requests under the scope data version. Read-only: do not set attributes on its units."""

    visible = Organization.objects.restrict(user, "view").as_of(date).order_by("sort_order", "code")
    version = data_version(user, SCOPE_VERSION)
    if version is None:
        return OrgTree(date, visible)
    key = (date, version)
    tree = _shared_charts.get(key)
    if tree is SharedCache.MISSING:
        tree = OrgTree(date, visible)
        _shared_charts.put(key, tree)
    return tree  # type: ignore[no-any-return]


def organization_full_name(org: Organization, date: dt.date | None = None) -> str:
    """Full name of one unit as of ``date`` (default: its first day)."""
    tree = OrgTree(date or org.valid_from)
    if org.id not in tree.by_id:
        return org.name
    return tree.full_name(org.id)


def successor_on(org: Organization, date: dt.date) -> Organization | None:
    """The unit that carries ``org`` on ``date``: itself while it exists, else its successor through
    reorganizations (one successor at each step). ``None`` when it was abolished, split without a
    single successor, or did not exist yet."""
    seen: set[int] = set()
    current: Organization | None = org
    while current is not None and current.id not in seen:
        if current.is_active_on(date):
            return current
        if current.valid_from > date or current.valid_to is None:
            return None
        seen.add(current.id)
        successors = list(current.successors.all()[:2])
        current = successors[0] if len(successors) == 1 else None
    return None
