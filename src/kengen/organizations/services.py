"""Changing the organization tree. History is never overwritten.

``organization_create`` is a service of its own. Ending units and reorganizations reach people,
systems and 別表第2 as well, so they live one floor up, in ``kengen.personnel.services``
(``organization_end``, ``organization_reorganize``); the steps below are what they call here.
Steps run inside the caller's transaction, check only what this app knows (codes, kinds, parents,
children) and leave the audit event to the caller, which records the whole process.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kengen.audit.choices import AuditAction
from kengen.audit.services import audit_record
from kengen.core.exceptions import Conflict, RuleViolation
from kengen.core.models import overlapping_q
from kengen.core.permissions import require_configurator
from kengen.core.types import Actor
from kengen.organizations.choices import OrganizationKind
from kengen.organizations.models import Organization, Post


@dataclass(frozen=True)
class OrganizationSpec:
    """What a new unit looks like; ``parent`` may be an existing unit or the code of one created
    in the same reorganization."""

    code: str
    name: str
    kind: str
    parent: Organization | str | None = None
    kana: str = ""
    is_security_unit: bool = False
    sort_order: int = 0


def unit_code_check_free(code: str, valid_from: dt.date, *, ignoring: Sequence[int] = ()) -> None:
    """Refuse a code already used by a unit in force on or after ``valid_from`` (AS)."""
    clash = Organization.objects.overlapping(valid_from, None).filter(code=code).exclude(id__in=ignoring)
    if clash.exists():
        raise RuleViolation(
            _("Organization code %(code)s is already used by a unit in force on %(date)s.")
            % {"code": code, "date": valid_from.isoformat()},
            clause="AS",
            field="code",
        )


def unit_open(spec: OrganizationSpec, valid_from: dt.date, parent: Organization | None) -> Organization:
    """Step: start one unit under ``parent`` (checked afresh and held) on ``valid_from``."""
    if spec.kind not in OrganizationKind.values:
        raise RuleViolation(_("Unknown organization kind %(kind)s.") % {"kind": spec.kind}, field="kind")
    if not spec.name.strip():
        raise RuleViolation(_("A unit needs a name."), field="name")
    if parent is not None:
        # Read the parent afresh (and hold it): a caller's copy may predate the parent's end.
        parent = Organization.objects.select_for_update().get(pk=parent.pk)
    if parent is not None and not parent.is_active_on(valid_from):
        raise RuleViolation(
            _("The parent unit %(parent)s is not in force on %(date)s.")
            % {"parent": parent.name, "date": valid_from.isoformat()},
            clause="AS",
            field="parent",
        )
    return Organization.objects.create(
        code=spec.code,
        name=spec.name.strip(),
        kana=spec.kana,
        kind=spec.kind,
        parent=parent,
        valid_from=valid_from,
        is_security_unit=spec.is_security_unit,
        sort_order=spec.sort_order,
    )


def organization_snapshot(org: Organization) -> dict:
    """What the audit log keeps of a unit."""
    return {
        "code": org.code,
        "name": org.name,
        "kind": org.kind,
        "parent": org.parent_id,
        "valid_from": org.valid_from,
        "valid_to": org.valid_to,
        "is_security_unit": org.is_security_unit,
    }


@transaction.atomic
def organization_create(*, actor: Actor, spec: OrganizationSpec, valid_from: dt.date) -> Organization:
    """Start a new unit on ``valid_from``."""
    require_configurator(actor)
    parent = spec.parent
    if isinstance(parent, str):
        parent = Organization.objects.as_of(valid_from).filter(code=parent).first()
        if parent is None:
            raise RuleViolation(
                _("No unit with code %(code)s on that date.") % {"code": spec.parent}, field="parent"
            )
    unit_code_check_free(spec.code, valid_from)
    org = unit_open(spec, valid_from, parent)
    audit_record(
        actor=actor, action=AuditAction.ORGANIZATION_CREATED, target=org, new=organization_snapshot(org)
    )
    return org


def unit_close(org: Organization, on: dt.date, reason: str) -> None:
    """Step: end ``org`` (locked by the caller) on ``on`` with ``reason``."""
    if org.valid_to is not None and org.valid_to <= on:
        raise Conflict(_("%(name)s already ended on %(date)s.") % {"name": org.name, "date": org.valid_to})
    if on < org.valid_from:
        raise RuleViolation(_("A unit cannot end before it starts."), field="valid_to")
    org.valid_to = on
    org.end_reason = reason
    org.save(update_fields=["valid_to", "end_reason"])


def units_refuse_children_left(orgs: Sequence[Organization], on: dt.date) -> None:
    """Step: refuse to end units that still have units under them from ``on`` (AS)."""
    ending_ids = {o.id for o in orgs}
    children = (
        Organization.objects.overlapping(on, None).filter(parent_id__in=ending_ids).exclude(id__in=ending_ids)
    )
    if children.exists():
        names = "、".join(c.name for c in children[:10])
        raise RuleViolation(
            _("Units still under the ending unit must end or move first: %(names)s") % {"names": names},
            clause="AS",
        )


@transaction.atomic
def _unit_kinds(unit_kinds: Sequence[str]) -> list[str]:
    kinds = list(dict.fromkeys(k.strip() for k in unit_kinds if k.strip()))
    for kind in kinds:
        if kind not in OrganizationKind.values:
            raise RuleViolation(_("Unknown kind of unit %(k)s.") % {"k": kind}, field="unit_kinds")
    return kinds


def post_refuse_misfit(post: Post, organization: Organization) -> None:
    """AS: a post is held only in a kind of unit that has it (課長 in a 課, 係長 in a 係)."""
    if not post.fits(organization):
        raise RuleViolation(
            _("%(post)s is not a post of %(unit)s: it is held in %(kinds)s.")
            % {"post": post.name, "unit": organization.name, "kinds": "、".join(post.unit_kind_labels)},
            clause="AS",
            field="post",
        )


def post_create(
    *,
    actor: Actor,
    code: str,
    name: str,
    is_head: bool = False,
    rank: int = 100,
    kana: str = "",
    unit_kinds: Sequence[str] = (),
) -> Post:
    """Add a post (職) to the catalogue; ``is_head`` posts carry the unit's roles (A3, A4);
    ``unit_kinds``: the kinds of unit that have it (empty: any)."""

    require_configurator(actor)
    code, name = code.strip(), name.strip()
    if not code:
        raise RuleViolation(_("A post needs a code."), field="code")
    if not name:
        raise RuleViolation(_("A post needs a name."), field="name")
    kinds = _unit_kinds(unit_kinds)
    if Post.objects.filter(code=code).exists():
        raise Conflict(_("Post code %(code)s is already used.") % {"code": code}, field="code")
    post = Post.objects.create(code=code, name=name, is_head=is_head, rank=rank, kana=kana, unit_kinds=kinds)
    audit_record(
        actor=actor,
        action=AuditAction.POST_CREATED,
        target=post,
        new={"code": code, "name": name, "is_head": is_head, "rank": rank, "unit_kinds": kinds},
    )
    return post


@transaction.atomic
def post_update(
    *,
    actor: Actor,
    post: Post,
    name: str | None = None,
    kana: str | None = None,
    rank: int | None = None,
    unit_kinds: Sequence[str] | None = None,
) -> Post:
    """Rename a post, or change its rank or the kinds of unit that have it. Whether it heads its
    unit is not changed here: that would move roles retroactively; add a new post instead.
    Narrowing ``unit_kinds`` is refused while someone holds the post in a unit it would exclude."""
    require_configurator(actor)
    p = Post.objects.select_for_update().get(pk=post.pk)
    old: dict[str, object] = {}
    new: dict[str, object] = {}
    if name is not None:
        if not name.strip():
            raise RuleViolation(_("A post needs a name."), field="name")
        old["name"], new["name"] = p.name, name.strip()
    if kana is not None:
        old["kana"], new["kana"] = p.kana, kana.strip()
    if rank is not None:
        old["rank"], new["rank"] = p.rank, rank
    if unit_kinds is not None:
        kinds = _unit_kinds(unit_kinds)
        if kinds:
            # Assignments are reached through the reverse relation (people sits above organizations).
            held = (
                Organization.objects.filter(
                    Q(assignments__post=p) & overlapping_q(timezone.localdate(), None, prefix="assignments__")
                )
                .exclude(kind__in=kinds)
                .values_list("name", flat=True)
                .distinct()
            )
            units = list(held[:5])
            if units:
                raise Conflict(
                    _("%(post)s is held in %(units)s, which the new kinds of unit would exclude.")
                    % {"post": p.name, "units": "、".join(units)},
                    field="unit_kinds",
                )
        old["unit_kinds"], new["unit_kinds"] = p.unit_kinds, kinds
    changed = {k: v for k, v in new.items() if old[k] != v}
    if not changed:
        return p
    for k, v in changed.items():
        setattr(p, k, v)
    p.save(update_fields=list(changed))
    audit_record(
        actor=actor,
        action=AuditAction.POST_UPDATED,
        target=p,
        old={k: old[k] for k in changed},
        new=changed,
    )
    return p
