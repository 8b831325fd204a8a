"""Registering systems and their operation permissions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from kengen.audit.choices import AuditAction
from kengen.audit.services import audit_record
from kengen.core.exceptions import Conflict, RuleViolation
from kengen.core.permissions import require_configurator
from kengen.core.types import Actor
from kengen.organizations.models import Organization
from kengen.systems.choices import SystemKind
from kengen.systems.models import System, SystemPermission


@transaction.atomic
def system_create(
    *,
    actor: Actor,
    code: str,
    name: str,
    kind: str,
    owner: Organization,
    valid_from: dt.date,
    parent: System | None = None,
    kana: str = "",
    handles_specific_personal_info: bool = False,
    permissions: Sequence[tuple[str, str]] = (),
    sort_order: int = 0,
) -> System:
    """Register a system with the permissions it offers (``(code, name)`` pairs)."""
    require_configurator(actor)
    if kind not in SystemKind.values:
        raise RuleViolation(_("Unknown system kind %(kind)s.") % {"kind": kind}, field="kind")
    if (kind == SystemKind.CORE_BUSINESS) != (parent is not None):
        raise RuleViolation(
            _("Business systems of the core package, and only they, belong to the core package."),
            clause="A2.1",
            field="parent",
        )
    if parent is not None and parent.kind != SystemKind.CORE:
        raise RuleViolation(
            _("A business system's parent must be the core package."), clause="A2.1", field="parent"
        )
    if System.objects.filter(code=code).exists():
        raise Conflict(_("System code %(code)s is already used.") % {"code": code}, field="code")
    system = System.objects.create(
        code=code,
        name=name,
        kana=kana,
        kind=kind,
        owner=owner,
        parent=parent,
        valid_from=valid_from,
        handles_specific_personal_info=handles_specific_personal_info,
        sort_order=sort_order,
    )
    audit_record(
        actor=actor,
        action=AuditAction.SYSTEM_CREATED,
        target=system,
        new={
            "code": code,
            "name": name,
            "kind": kind,
            "owner": owner.pk,
            "parent": parent.pk if parent else None,
            "handles_specific_personal_info": handles_specific_personal_info,
        },
    )
    for i, (pcode, pname) in enumerate(permissions):
        system_permission_create(actor=actor, system=system, code=pcode, name=pname, sort_order=i)
    return system


@transaction.atomic
def system_permission_create(
    *, actor: Actor, system: System, code: str, name: str, sort_order: int = 0
) -> SystemPermission:
    require_configurator(actor)
    if system.kind == SystemKind.CORE:
        raise RuleViolation(
            _("Permissions of the core package are defined on its business systems."), clause="A2.1"
        )
    if SystemPermission.objects.filter(system=system, code=code).exists():
        raise Conflict(_("%(system)s already offers %(code)s.") % {"system": system.name, "code": code})
    perm = SystemPermission.objects.create(system=system, code=code, name=name, sort_order=sort_order)
    audit_record(
        actor=actor,
        action=AuditAction.SYSTEM_PERMISSION_CREATED,
        target=perm,
        new={"system": system.code, "code": code, "name": name},
    )
    return perm
