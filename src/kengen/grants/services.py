"""Writing the management file: user IDs and grants. Every rule is checked here (A7, A10)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kengen.audit.choices import AuditAction
from kengen.audit.services import audit_record
from kengen.core.era import wareki
from kengen.core.exceptions import Conflict, PermissionDenied, RuleViolation
from kengen.core.models import last_day, overlapping_q
from kengen.eligibility.selectors import direct_grant_eligibility
from kengen.grants.choices import AccountKind, EndReason, GrantBasis, Purpose
from kengen.grants.models import Account, Grant
from kengen.people.choices import PersonKind
from kengen.roles.selectors import scope_for, security_officers_for
from kengen.systems.choices import SystemKind
from kengen.systems.models import System, SystemPermission


def _require_administrator(actor, system: System, basis: str | None = None) -> None:
    """The actor must administer the system on the day (A3), or be a configuration administrator
    loading the existing file. ``actor=None`` is Kengen itself (scheduled jobs, profile loading)."""
    if actor is None:
        return
    scope = scope_for(actor)
    if system.account_system.id in scope.administered_system_ids:
        return
    if basis == GrantBasis.INITIAL_LOAD and scope.is_configurator:
        return
    raise PermissionDenied(
        _("Only the administrator of %(system)s can change its entries in the management file.")
        % {"system": system.account_system.name},
        clause="A3.1",
    )


def _grant_snapshot(g: Grant) -> dict:
    return {
        "account": g.account_id,
        "user_id": g.account.user_id,
        "system": g.account.system.code,
        "permission": g.permission.code,
        "permission_system": g.permission.system.code,
        "person": g.account.person_id,
        "valid_from": g.valid_from,
        "valid_to": g.valid_to,
        "purpose": g.purpose,
        "purpose_approved_by": g.purpose_approved_by_id,
        "basis": g.basis,
        "basis_reference": g.basis_reference,
        "end_reason": g.end_reason,
    }


@transaction.atomic
def account_create(
    *,
    actor,
    system: System,
    user_id: str,
    valid_from: dt.date,
    person=None,
    holder_organization=None,
    kind: str = AccountKind.PERSONAL,
    valid_to: dt.date | None = None,
    basis: str | None = None,
) -> Account:
    """Register a user ID on a system (A5.4, A5.6). The core package's business systems share the
    core package's user IDs, so IDs are always registered on the account system."""
    _require_administrator(actor, system, basis)
    if system.kind == SystemKind.CORE_BUSINESS:
        raise RuleViolation(
            _("User IDs for %(system)s are registered on %(core)s.") % {"system": system.name, "core": system.parent.name},
            clause="A2.1",
            field="system",
        )
    user_id = user_id.strip()
    if not user_id:
        raise RuleViolation(_("A user ID is required."), clause="A2.6", field="user_id")
    if kind == AccountKind.VIEWING:
        if holder_organization is None or person is not None:
            raise RuleViolation(_("A viewing user ID is held by a unit, not a person."), clause="A11.2", field="holder_organization")
    else:
        if person is None:
            raise RuleViolation(_("A user ID must identify a person."), clause="A2.6", field="person")
        if (kind == AccountKind.MAINTENANCE) != (person.kind == PersonKind.MAINTENANCE):
            raise RuleViolation(
                _("Maintenance user IDs are for maintenance staff, and personal IDs for staff."),
                clause="A2.5",
                field="kind",
            )
    if not system.is_active_on(valid_from):
        raise RuleViolation(_("%(system)s is not in service on that date.") % {"system": system.name}, field="valid_from")
    if Account.objects.select_for_update().filter(system=system, user_id=user_id).filter(
        overlapping_q(valid_from, valid_to)
    ).exists():
        raise Conflict(
            _("User ID %(uid)s is already in use on %(system)s.") % {"uid": user_id, "system": system.name},
            field="user_id",
        )
    account = Account.objects.create(
        system=system, user_id=user_id, person=person, holder_organization=holder_organization, kind=kind,
        valid_from=valid_from, valid_to=valid_to, created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(
        actor=actor, action=AuditAction.ACCOUNT_CREATED, target=account,
        new={"system": system.code, "user_id": user_id, "kind": kind, "person": person.pk if person else None,
             "holder_organization": holder_organization.pk if holder_organization else None,
             "valid_from": valid_from, "valid_to": valid_to},
    )
    return account


def check_appointment_cap(person, valid_from: dt.date, valid_to: dt.date | None) -> None:
    """A7: a grant lies within the holder's appointment and never runs past its end."""
    if person.kind != PersonKind.STAFF:
        return
    appointment = person.appointment_on(valid_from)
    if appointment is None:
        raise RuleViolation(
            _("%(name)s has no appointment on %(date)s, so nothing can be granted from that day.")
            % {"name": person.full_name, "date": wareki(valid_from)},
            clause="A7",
            field="valid_from",
        )
    if appointment.valid_to is None:
        return
    end = last_day(appointment.valid_to)
    if valid_to is None or valid_to > appointment.valid_to:
        raise RuleViolation(
            _("The appointment of %(name)s ends on %(end)s; a permission cannot be valid beyond it (A7). "
              "Set the end on or before that day.") % {"name": person.full_name, "end": wareki(end)},
            clause="A7",
            field="valid_to",
        )


def check_purpose(*, person, purpose: str, approved_by, approved_on: dt.date | None, note: str) -> None:
    """A10: duties, training, or another purpose the security officer approved (recorded)."""
    if purpose not in Purpose.values:
        raise RuleViolation(_("Unknown purpose %(p)s.") % {"p": purpose}, clause="A10", field="purpose")
    if purpose != Purpose.OTHER:
        return
    if approved_by is None or approved_on is None or not note.strip():
        raise RuleViolation(
            _("A purpose other than duties or training needs the security officer's approval: "
              "who approved it, on what date, and for what."),
            clause="A10",
            field="purpose_approved_by",
        )
    if person is not None and person.kind == PersonKind.STAFF:
        officers = set()
        for a in person.assignments_on(approved_on):
            officers.update(security_officers_for(a.organization_id, approved_on).values_list("id", flat=True))
        if approved_by.id not in officers:
            raise RuleViolation(
                _("%(who)s was not the security officer of %(name)s on %(date)s, so cannot approve this purpose.")
                % {"who": approved_by.full_name, "name": person.full_name, "date": wareki(approved_on)},
                clause="A10",
                field="purpose_approved_by",
            )


def check_direct_grant(account: Account, valid_from: dt.date) -> None:
    """A5.5: only the core and intermediate-server administrators grant directly, and only to staff
    whom 別表第2 covers on the day the grant starts (never fiscal-year appointees)."""
    if account.system.kind not in (SystemKind.CORE, SystemKind.INTERMEDIATE):
        raise RuleViolation(
            _("Only the core package and the intermediate server take direct grants; "
              "%(system)s needs a Form 1 application.") % {"system": account.system.name},
            clause="A5.5",
            field="basis",
        )
    if account.person is None:
        raise RuleViolation(
            _("Direct grants are for system users, not viewing IDs."), clause="A5.5", field="basis"
        )
    eligibility = direct_grant_eligibility(account.person, valid_from)
    if not eligibility:
        raise RuleViolation(eligibility.reason, clause="A5.5", field="basis")


@transaction.atomic
def grant_create(
    *,
    actor,
    account: Account,
    permission: SystemPermission,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    purpose: str = Purpose.DUTIES,
    purpose_note: str = "",
    purpose_approved_by=None,
    purpose_approved_on: dt.date | None = None,
    basis: str,
    basis_reference: str = "",
    application_ref: str = "",
) -> Grant:
    """Record that ``account`` holds ``permission`` over ``[valid_from, valid_to)``."""
    # ``of``: PostgreSQL cannot lock the nullable side of the outer join to ``person``.
    locked = Account.objects.select_for_update(of=("self",))
    account = locked.select_related("system", "person").get(pk=account.pk)
    _require_administrator(actor, account.system, basis)
    if basis not in GrantBasis.values:
        raise RuleViolation(_("Unknown basis %(b)s.") % {"b": basis}, field="basis")
    if permission.system.account_system.id != account.system_id:
        raise RuleViolation(
            _("%(perm)s is not a permission of %(system)s.") % {"perm": permission, "system": account.system.name},
            clause="A2.6",
            field="permission",
        )
    if not permission.is_active:
        raise RuleViolation(_("%(perm)s is no longer offered.") % {"perm": permission}, field="permission")
    if valid_to is not None and valid_to <= valid_from:
        raise RuleViolation(_("The end must come after the start."), field="valid_to")
    if valid_from < account.valid_from or (
        account.valid_to is not None and (valid_to is None or valid_to > account.valid_to)
    ):
        raise RuleViolation(_("A permission cannot outlast the user ID that holds it."), clause="A2.6", field="valid_to")
    if account.kind == AccountKind.MAINTENANCE and valid_to is None:
        raise RuleViolation(_("A maintenance staff permission always has an end date."), clause="A5.9", field="valid_to")
    if account.person is not None:
        check_appointment_cap(account.person, valid_from, valid_to)
    if basis == GrantBasis.DIRECT:
        check_direct_grant(account, valid_from)
    check_purpose(
        person=account.person, purpose=purpose, approved_by=purpose_approved_by, approved_on=purpose_approved_on,
        note=purpose_note,
    )
    if Grant.objects.filter(account=account, permission=permission).filter(overlapping_q(valid_from, valid_to)).exists():
        raise Conflict(
            _("%(uid)s already holds %(perm)s in that period.") % {"uid": account.user_id, "perm": permission},
            field="permission",
        )
    grant = Grant.objects.create(
        account=account, permission=permission, valid_from=valid_from, valid_to=valid_to, purpose=purpose,
        purpose_note=purpose_note, purpose_approved_by=purpose_approved_by, purpose_approved_on=purpose_approved_on,
        basis=basis, basis_reference=basis_reference,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(
        actor=actor, action=AuditAction.GRANT_CREATED, target=grant, new=_grant_snapshot(grant),
        application_ref=application_ref or basis_reference,
    )
    return grant


@transaction.atomic
def grant_end(
    *, actor, grant: Grant, on: dt.date, reason: str, note: str = "", application_ref: str = ""
) -> Grant:
    """End a grant on ``on`` (the first day it no longer holds). Never deletes."""
    g = Grant.objects.select_for_update().select_related("account__system", "permission__system").get(pk=grant.pk)
    _require_administrator(actor, g.account.system)
    if reason not in EndReason.values:
        raise RuleViolation(_("Unknown end reason %(r)s.") % {"r": reason}, field="reason")
    if g.ended_at is not None or (g.valid_to is not None and g.valid_to <= on):
        raise Conflict(_("This permission has already ended."))
    old = _grant_snapshot(g)
    g.valid_to = max(on, g.valid_from)
    g.end_reason = reason
    g.end_note = note
    g.ended_at = timezone.now()
    g.ended_by = actor if getattr(actor, "pk", None) else None
    g.save(update_fields=["valid_to", "end_reason", "end_note", "ended_at", "ended_by"])
    audit_record(
        actor=actor, action=AuditAction.GRANT_ENDED, target=g, old=old, new=_grant_snapshot(g),
        application_ref=application_ref or g.basis_reference,
    )
    return g
