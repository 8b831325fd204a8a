"""Designating the roles that do not follow posts (auditor, configuration administrator)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from kengen.audit.choices import AuditAction
from kengen.audit.services import audit_record
from kengen.core.exceptions import Conflict, PermissionDenied, RuleViolation
from kengen.core.models import overlapping_q
from kengen.core.types import Actor, User
from kengen.roles.choices import DesignatedRoleKind
from kengen.roles.models import DesignatedRole
from kengen.roles.selectors import scope_for


@transaction.atomic
def role_designate(
    *,
    actor: Actor,
    user: User,
    role: str,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    reason: str = "",
) -> DesignatedRole:
    if actor is not None and not scope_for(actor).is_configurator:
        raise PermissionDenied(_("Only a configuration administrator can designate roles."))
    if role not in DesignatedRoleKind.values:
        raise RuleViolation(_("%(role)s is not a designated role.") % {"role": role}, field="role")
    if (
        DesignatedRole.objects.filter(user=user, role=role)
        .filter(overlapping_q(valid_from, valid_to))
        .exists()
    ):
        raise Conflict(_("That role is already designated for that period."))
    designation = DesignatedRole.objects.create(
        user=user, role=role, valid_from=valid_from, valid_to=valid_to, reason=reason
    )
    audit_record(
        actor=actor,
        action=AuditAction.ROLE_DESIGNATED,
        target=designation,
        new={"user": user.pk, "role": role, "valid_from": valid_from, "valid_to": valid_to, "reason": reason},
    )
    return designation


@transaction.atomic
def role_designation_end(*, actor: Actor, designation: DesignatedRole, on: dt.date) -> DesignatedRole:
    """End a designation on ``on`` (the first day it no longer holds)."""
    if actor is not None and not scope_for(actor).is_configurator:
        raise PermissionDenied(_("Only a configuration administrator can designate roles."))
    d = DesignatedRole.objects.select_for_update().get(pk=designation.pk)
    if d.valid_to is not None and d.valid_to <= on:
        raise Conflict(_("That designation has already ended."))
    if on < d.valid_from:
        raise RuleViolation(_("A designation cannot end before it starts."), field="valid_to")
    old = {"valid_to": d.valid_to}
    d.valid_to = on
    d.save(update_fields=["valid_to"])
    audit_record(
        actor=actor, action=AuditAction.ROLE_DESIGNATION_ENDED, target=d, old=old, new={"valid_to": on}
    )
    return d
