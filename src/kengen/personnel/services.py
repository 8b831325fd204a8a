"""Personnel changes that span several apps: ending units and reorganizations (and, next, the bulk
personnel wave: HR import, preview, apply).

A reorganization ends units and starts their successors (organizations), moves the people assigned
to them (people), and must leave no system without an administrator (systems, A3.1) and no 別表第2
line naming a unit that no longer exists (eligibility). It therefore sits above all of those apps
and calls their public services and steps; none of them imports it. Each function here is one
transaction, audited as a whole.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from kengen.audit.choices import AuditAction
from kengen.audit.services import audit_record
from kengen.core.exceptions import Conflict, RuleViolation
from kengen.core.permissions import require_configurator
from kengen.eligibility.models import EligibilityEntry
from kengen.organizations.choices import OrganizationEndReason
from kengen.organizations.models import Organization
from kengen.organizations.services import (
    OrganizationSpec,
    organization_snapshot,
    unit_close,
    unit_code_check_free,
    unit_open,
    units_refuse_children_left,
)
from kengen.people.models import Assignment
from kengen.people.services import assignment_move
from kengen.systems.models import System


def _refuse_if_still_used(
    orgs: Sequence[Organization], on: dt.date, moving: Mapping[int, Organization]
) -> None:
    units_refuse_children_left(orgs, on)
    ending_ids = {o.id for o in orgs}
    stranded = (
        Assignment.objects.overlapping(on, None)
        .filter(organization_id__in=ending_ids)
        .exclude(organization_id__in=moving.keys())
        .select_related("person")
    )
    if stranded.exists():
        names = "、".join(a.person.full_name for a in stranded[:10])
        raise RuleViolation(
            _("People are still assigned to the ending unit; say where they move: %(names)s")
            % {"names": names},
            clause="AS",
        )


def _refuse_orphaned_systems(ended: Sequence[Organization], on: dt.date) -> None:
    """A3: a system whose owning division ends must pass to exactly one successor, or it would
    have no administrator from ``on``."""
    for system in System.objects.as_of(on).filter(parent__isnull=True, owner__in=list(ended)):
        if system.owner_on(on) is None:
            raise RuleViolation(
                _(
                    "%(system)s is owned by %(unit)s, which ends: move the unit to one successor so that the "
                    "system keeps an administrator."
                )
                % {"system": system.name, "unit": system.owner.name},
                clause="A3.1",
            )


def _refuse_stale_table2(ended: Sequence[Organization], on: dt.date) -> None:
    """A5.5/AS: a 別表第2 line naming a unit that ends would silently change meaning (a 「限る」
    line would cover nobody, a 「除く」 line would cover the excluded unit's successor). The table
    is amended first: end the line on the same date, reorganize, then add the successor's line."""
    ids = [o.id for o in ended]
    stale = EligibilityEntry.objects.overlapping(on, None).filter(
        Q(organization_id__in=ids) | Q(units__in=ids)
    )
    if stale.exists():
        lines = "、".join(sorted({e.listed_as for e in stale}))
        raise RuleViolation(
            _(
                "Table 2 still names units that end on %(date)s: %(lines)s. End those lines on that date first, "
                "then add the successors' lines after the reorganization."
            )
            % {"date": on.isoformat(), "lines": lines},
            clause="AS",
        )


@transaction.atomic
def organization_end(
    *, actor, organization: Organization, on: dt.date, reason: str = OrganizationEndReason.ABOLISHED
) -> Organization:
    """End a unit on ``on`` (the first day it no longer exists)."""
    require_configurator(actor)
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    _refuse_if_still_used([org], on, {})
    _refuse_stale_table2([org], on)
    if System.objects.overlapping(on, None).filter(owner=org).exists():
        raise RuleViolation(
            _("%(unit)s owns systems; reorganize it into a successor instead of abolishing it.")
            % {"unit": org.name},
            clause="A3.1",
        )
    old = organization_snapshot(org)
    unit_close(org, on, reason)
    audit_record(
        actor=actor,
        action=AuditAction.ORGANIZATION_ENDED,
        target=org,
        old=old,
        new=organization_snapshot(org),
    )
    return org


@dataclass(frozen=True)
class ReorganizationResult:
    ended: list[Organization]
    created: list[Organization]
    moved_assignments: int


@transaction.atomic
def organization_reorganize(
    *,
    actor,
    on: dt.date,
    ending: Sequence[Organization],
    creating: Sequence[OrganizationSpec],
    moves: Mapping[str, str],
) -> ReorganizationResult:
    """End ``ending`` and start ``creating`` on ``on``, all or nothing.

    ``moves`` maps the code of each ending unit to the code of the new unit its people move to;
    their assignments end the day before and start again in the new unit on ``on``, same post.
    Grants are held by people, not units, so they are untouched; who sees them follows the
    new assignments from ``on``.
    """
    require_configurator(actor)
    ended = list(Organization.objects.select_for_update().filter(pk__in=[o.pk for o in ending]))
    if len(ended) != len(ending):
        raise Conflict(_("Some of the units to end no longer exist."))
    ending_codes = {o.code for o in ended}
    unknown = set(moves) - ending_codes
    if unknown:
        raise RuleViolation(
            _("Moves name units that are not ending: %(codes)s") % {"codes": ", ".join(sorted(unknown))}
        )
    for org in ended:
        unit_close(org, on, OrganizationEndReason.REORGANIZED)
    reused = [o.id for o in ended]
    created: dict[str, Organization] = {}
    for spec in creating:
        parent = spec.parent
        if isinstance(parent, str):
            parent = created.get(parent) or Organization.objects.as_of(on).filter(code=parent).first()
            if parent is None:
                raise RuleViolation(
                    _("No unit with code %(code)s on that date.") % {"code": spec.parent}, field="parent"
                )
        unit_code_check_free(spec.code, on, ignoring=reused)
        org = unit_open(spec, on, parent)
        org.predecessors.add(*[o for o in ended if moves.get(o.code) == spec.code or o.code == spec.code])
        created[spec.code] = org
    target_by_old: dict[int, Organization] = {}
    for old in ended:
        target_code = moves.get(old.code)
        if target_code is None:
            continue
        target = created.get(target_code) or Organization.objects.as_of(on).filter(code=target_code).first()
        if target is None:
            raise RuleViolation(_("No unit with code %(code)s on that date.") % {"code": target_code})
        target_by_old[old.id] = target
    _refuse_if_still_used(ended, on, target_by_old)
    _refuse_orphaned_systems(ended, on)
    _refuse_stale_table2(ended, on)
    moved = 0
    for old_id, target in target_by_old.items():
        # Also those starting after ``on``: the stranded check above counted them as moving.
        staying = Assignment.objects.select_for_update().overlapping(on, None)
        for a in staying.filter(organization_id=old_id):
            assignment_move(actor=actor, assignment=a, organization=target, on=on)
            moved += 1
    audit_record(
        actor=actor,
        action=AuditAction.ORGANIZATION_REORGANIZED,
        target_label=_("Reorganization of %(date)s") % {"date": on.isoformat()},
        new={
            "on": on,
            "ended": [o.code for o in ended],
            "created": list(created),
            "moves": dict(moves),
            "moved_assignments": moved,
        },
    )
    for org in ended:
        audit_record(
            actor=actor, action=AuditAction.ORGANIZATION_ENDED, target=org, new=organization_snapshot(org)
        )
    for org in created.values():
        audit_record(
            actor=actor, action=AuditAction.ORGANIZATION_CREATED, target=org, new=organization_snapshot(org)
        )
    return ReorganizationResult(list(ended), list(created.values()), moved)
