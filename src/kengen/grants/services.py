"""Writing the management file: user IDs and grants. Every rule is checked here (A7, A10)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kengen.audit.choices import AuditAction
from kengen.audit.services import audit_record
from kengen.core.era import wareki
from kengen.core.exceptions import Conflict, PermissionDenied, RuleViolation
from kengen.core.models import last_day, overlapping_q
from kengen.core.types import Actor
from kengen.eligibility.selectors import direct_grant_eligibility
from kengen.grants.choices import AccountKind, EndReason, GrantBasis, Purpose
from kengen.grants.models import Account, Grant
from kengen.notifications.services import notification_send
from kengen.organizations.models import Organization
from kengen.people.choices import PersonKind
from kengen.people.models import Person
from kengen.roles.selectors import scope_for, security_officers_of_person
from kengen.systems.choices import SystemKind
from kengen.systems.models import System, SystemPermission, user_id_problem


@dataclass(frozen=True)
class MaintenanceLimit:
    """What an app above says about a maintenance registration (A5.9): the latest exclusive end it
    may have (``until``; ``None``: none at all) and, when it is exceeded, why, with the clause."""

    until: dt.date | None
    reason: str
    clause: str


#: ``(person, system, valid_from) -> MaintenanceLimit | None`` (``None``: no limit from this hook).
MaintenanceLimitHook = Callable[[Person, System, dt.date], "MaintenanceLimit | None"]
_maintenance_limits: list[MaintenanceLimitHook] = []


def maintenance_limit_register(hook: MaintenanceLimitHook) -> None:
    """Let an app above (outsourcing: the contract a maintenance staff member works under) limit
    maintenance registrations; grants never imports it (registered in its ``AppConfig.ready``)."""
    if hook not in _maintenance_limits:
        _maintenance_limits.append(hook)


def check_maintenance_limit(
    person: Person, system: System, valid_from: dt.date, valid_to: dt.date | None
) -> None:
    """A5.9: a maintenance staff member's user ID or permission on ``system`` lies within what the
    apps above allow (outsourcing: an active contract covering the system, never beyond its end).
    Checked by every path that registers one (``account_create``, ``grant_create``,
    ``maintenance_account_register``)."""
    root = system.account_system
    for hook in _maintenance_limits:
        limit = hook(person, root, valid_from)
        if limit is not None and (limit.until is None or valid_to is None or valid_to > limit.until):
            raise RuleViolation(limit.reason, clause=limit.clause, field="valid_to")


def require_file_administrator(actor: Actor, system: System, basis: str | None = None) -> None:
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
    actor: Actor,
    system: System,
    user_id: str,
    valid_from: dt.date,
    person: Person | None = None,
    holder_organization: Organization | None = None,
    kind: str = AccountKind.PERSONAL,
    valid_to: dt.date | None = None,
    basis: str | None = None,
) -> Account:
    """Register a user ID on a system (A5.4, A5.6). The core package's business systems share the
    core package's user IDs, so IDs are always registered on the account system."""
    require_file_administrator(actor, system, basis)
    if system.kind == SystemKind.CORE_BUSINESS:
        raise RuleViolation(
            _("User IDs for %(system)s are registered on %(core)s.")
            % {"system": system.name, "core": system.account_system.name},
            clause="A2.1",
            field="system",
        )
    user_id = user_id.strip()
    if not user_id:
        raise RuleViolation(_("A user ID is required."), clause="A2.6", field="user_id")
    problem = user_id_problem(system, user_id)
    if problem:
        raise RuleViolation(problem, clause="A2.6", field="user_id")
    if kind == AccountKind.VIEWING:
        if holder_organization is None or person is not None:
            raise RuleViolation(
                _("A viewing user ID is held by a unit, not a person."),
                clause="A11.2",
                field="holder_organization",
            )
    else:
        if person is None:
            raise RuleViolation(_("A user ID must identify a person."), clause="A2.6", field="person")
        if (kind == AccountKind.MAINTENANCE) != (person.kind == PersonKind.MAINTENANCE):
            raise RuleViolation(
                _("Maintenance user IDs are for maintenance staff, and personal IDs for staff."),
                clause="A2.5",
                field="kind",
            )
        if kind == AccountKind.MAINTENANCE:
            check_maintenance_limit(person, system, valid_from, valid_to)
    if not system.is_active_on(valid_from):
        raise RuleViolation(
            _("%(system)s is not in service on that date.") % {"system": system.name}, field="valid_from"
        )
    if (
        Account.objects.select_for_update()
        .filter(system=system, user_id=user_id)
        .filter(overlapping_q(valid_from, valid_to))
        .exists()
    ):
        raise Conflict(
            _("User ID %(uid)s is already in use on %(system)s.") % {"uid": user_id, "system": system.name},
            field="user_id",
        )
    account = Account.objects.create(
        system=system,
        user_id=user_id,
        person=person,
        holder_organization=holder_organization,
        kind=kind,
        valid_from=valid_from,
        valid_to=valid_to,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(
        actor=actor,
        action=AuditAction.ACCOUNT_CREATED,
        target=account,
        new={
            "system": system.code,
            "user_id": user_id,
            "kind": kind,
            "person": person.pk if person else None,
            "holder_organization": holder_organization.pk if holder_organization else None,
            "valid_from": valid_from,
            "valid_to": valid_to,
        },
    )
    return account


def check_appointment_cap(person: Person, valid_from: dt.date, valid_to: dt.date | None) -> None:
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
            _(
                "The appointment of %(name)s ends on %(end)s; a permission cannot be valid beyond it (A7). "
                "Set the end on or before that day."
            )
            % {"name": person.full_name, "end": wareki(end)},
            clause="A7",
            field="valid_to",
        )


def check_not_held(
    account: Account, permission: SystemPermission, valid_from: dt.date, valid_to: dt.date | None
) -> None:
    """A permission is held once at a time: refuse a grant that overlaps one ``account`` holds."""
    if (
        Grant.objects.filter(account=account, permission=permission)
        .filter(overlapping_q(valid_from, valid_to))
        .exists()
    ):
        raise Conflict(
            _("%(uid)s already holds %(perm)s in that period.")
            % {"uid": account.user_id, "perm": permission},
            field="permission",
        )


def check_purpose(
    *, person: Person | None, purpose: str, approved_by: Person | None, approved_on: dt.date | None, note: str
) -> None:
    """A10: duties, training, or another purpose the security officer approved (recorded)."""
    if purpose not in Purpose.values:
        raise RuleViolation(_("Unknown purpose %(p)s.") % {"p": purpose}, clause="A10", field="purpose")
    if purpose != Purpose.OTHER:
        return
    if approved_by is None or approved_on is None or not note.strip():
        raise RuleViolation(
            _(
                "A purpose other than duties or training needs the security officer's approval: "
                "who approved it, on what date, and for what."
            ),
            clause="A10",
            field="purpose_approved_by",
        )
    if person is not None and person.kind == PersonKind.STAFF:
        officers = {o.id for o in security_officers_of_person(person, approved_on)}
        if approved_by.id not in officers:
            raise RuleViolation(
                _(
                    "%(who)s was not the security officer of %(name)s on %(date)s, so cannot approve this purpose."
                )
                % {"who": approved_by.full_name, "name": person.full_name, "date": wareki(approved_on)},
                clause="A10",
                field="purpose_approved_by",
            )


def check_direct_grant(account: Account, valid_from: dt.date) -> None:
    """A5.5: only the core and intermediate-server administrators grant directly, and only to staff
    whom 別表第2 covers on the day the grant starts (never fiscal-year appointees)."""
    if account.system.kind not in (SystemKind.CORE, SystemKind.INTERMEDIATE):
        raise RuleViolation(
            _(
                "Only the core package and the intermediate server take direct grants; "
                "%(system)s needs a Form 1 application."
            )
            % {"system": account.system.name},
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
    actor: Actor,
    account: Account,
    permission: SystemPermission,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    purpose: str = Purpose.DUTIES,
    purpose_note: str = "",
    purpose_approved_by: Person | None = None,
    purpose_approved_on: dt.date | None = None,
    basis: str,
    basis_reference: str = "",
    application_ref: str = "",
) -> Grant:
    """Record that ``account`` holds ``permission`` over ``[valid_from, valid_to)``."""
    # ``of``: PostgreSQL cannot lock the nullable side of the outer join to ``person``.
    locked = Account.objects.select_for_update(of=("self",))
    account = locked.select_related("system", "person").get(pk=account.pk)
    require_file_administrator(actor, account.system, basis)
    if basis not in GrantBasis.values:
        raise RuleViolation(_("Unknown basis %(b)s.") % {"b": basis}, field="basis")
    if permission.system.account_system.id != account.system_id:
        raise RuleViolation(
            _("%(perm)s is not a permission of %(system)s.")
            % {"perm": permission, "system": account.system.name},
            clause="A2.6",
            field="permission",
        )
    if not permission.is_active:
        raise RuleViolation(_("%(perm)s is no longer offered.") % {"perm": permission}, field="permission")
    if valid_to is not None and valid_to <= valid_from:
        raise RuleViolation(_("The end must come after the start."), field="valid_to")
    if account.kind == AccountKind.MAINTENANCE and valid_to is None:
        raise RuleViolation(
            _("A maintenance staff permission always has an end date."), clause="A5.9", field="valid_to"
        )
    if valid_from < account.valid_from or (
        account.valid_to is not None and (valid_to is None or valid_to > account.valid_to)
    ):
        raise RuleViolation(
            _("A permission cannot outlast the user ID that holds it."), clause="A2.6", field="valid_to"
        )
    if account.person is not None:
        check_appointment_cap(account.person, valid_from, valid_to)
        if account.kind == AccountKind.MAINTENANCE:
            check_maintenance_limit(account.person, account.system, valid_from, valid_to)
    if basis == GrantBasis.DIRECT:
        check_direct_grant(account, valid_from)
    check_purpose(
        person=account.person,
        purpose=purpose,
        approved_by=purpose_approved_by,
        approved_on=purpose_approved_on,
        note=purpose_note,
    )
    check_not_held(account, permission, valid_from, valid_to)
    grant = Grant.objects.create(
        account=account,
        permission=permission,
        valid_from=valid_from,
        valid_to=valid_to,
        purpose=purpose,
        purpose_note=purpose_note,
        purpose_approved_by=purpose_approved_by,
        purpose_approved_on=purpose_approved_on,
        basis=basis,
        basis_reference=basis_reference,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(
        actor=actor,
        action=AuditAction.GRANT_CREATED,
        target=grant,
        new=_grant_snapshot(grant),
        application_ref=application_ref or basis_reference,
    )
    return grant


def _already_ends(ended: str, what: str, valid_to: dt.date) -> Conflict:
    """The refusal of an end on or after ``valid_to`` (the planned end, exclusive): "already
    ended" once that day has come; before it, what the planned last day is and what to choose."""
    if valid_to <= timezone.localdate():
        return Conflict(ended)
    return Conflict(
        _(
            "%(what)s already ends after its last day, %(last)s. To end it sooner, choose a date on "
            "or before %(end)s; otherwise nothing needs to be done."
        )
        % {"what": what, "last": wareki(last_day(valid_to)), "end": wareki(valid_to)},
        field="on",
    )


@transaction.atomic
def grant_end(
    *, actor: Actor, grant: Grant, on: dt.date, reason: str, note: str = "", application_ref: str = ""
) -> Grant:
    """End a grant on ``on`` (the first day it no longer holds). Never deletes."""
    g = (
        Grant.objects.select_for_update(of=("self",))
        .select_related("account__system", "permission__system")
        .get(pk=grant.pk)
    )
    require_file_administrator(actor, g.account.system)
    if reason not in EndReason.values:
        raise RuleViolation(_("Unknown end reason %(r)s.") % {"r": reason}, field="reason")
    if g.ended_at is not None:
        raise Conflict(_("This permission has already ended."))
    if g.valid_to is not None and g.valid_to <= on:
        raise _already_ends(_("This permission has already ended."), _("This permission"), g.valid_to)
    old = _grant_snapshot(g)
    g.valid_to = max(on, g.valid_from)
    g.end_reason = reason
    g.end_note = note
    g.ended_at = timezone.now()
    g.ended_by = actor if getattr(actor, "pk", None) else None
    g.save(update_fields=["valid_to", "end_reason", "end_note", "ended_at", "ended_by"])
    audit_record(
        actor=actor,
        action=AuditAction.GRANT_ENDED,
        target=g,
        old=old,
        new=_grant_snapshot(g),
        application_ref=application_ref or g.basis_reference,
    )
    return g


# --- Paths other than Form 1 (A5.5–A5.9) -------------------------------------------------------


def _notify_officers_of(
    person: Person, *, on: dt.date, clause: str, subject: str, body: str, target: models.Model | None = None
) -> None:
    """Tell the security officer(s) of the units ``person`` belongs to on ``on`` (A5.6, A5.8)."""

    officers = security_officers_of_person(person, on)
    notification_send(recipients=officers, clause=clause, subject=subject, body=body, target=target)


def _require_central_direct_admin(actor: Actor, system: System) -> None:
    """A5.5: only the core and intermediate-server administrators grant or revoke directly."""
    root = system.account_system
    if root.kind not in (SystemKind.CORE, SystemKind.INTERMEDIATE):
        raise RuleViolation(
            _("%(system)s takes no direct grants; the security officer applies on Form 1.")
            % {"system": root.name},
            clause="A5.5",
            field="system",
        )
    if actor is not None and root.id not in scope_for(actor).administered_system_ids:
        raise PermissionDenied(
            _("Only the administrator of %(system)s can grant it directly.") % {"system": root.name},
            clause="A5.5",
        )


def _account_on(
    system: System,
    person: Person,
    on: dt.date,
    user_id: str | None,
    actor: Actor,
    kind: str = AccountKind.PERSONAL,
) -> Account:
    existing = Account.objects.filter(system=system, person=person).as_of(on).first()
    if existing is not None:
        return existing
    return account_create(
        actor=actor,
        system=system,
        user_id=(user_id or person.staff_number or "").strip(),
        person=person,
        valid_from=on,
        kind=kind,
    )


@transaction.atomic
def grant_direct(
    *,
    actor: Actor,
    person: Person,
    permissions: list[SystemPermission],
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    user_id: str | None = None,
    purpose: str = Purpose.DUTIES,
    purpose_note: str = "",
) -> list[Grant]:
    """A5.5/A5.6: the core or intermediate-server administrator grants a 別表第2 person directly,
    registers it in the management file and notifies the security officer."""
    if not permissions:
        raise RuleViolation(_("Choose at least one permission."), clause="A5.5", field="permissions")
    roots = {p.system.account_system.id: p.system.account_system for p in permissions}
    if len(roots) != 1:
        raise RuleViolation(_("Grant one system at a time."), clause="A5.5", field="permissions")
    (system,) = roots.values()
    _require_central_direct_admin(actor, system)
    eligibility = direct_grant_eligibility(person, valid_from)
    if not eligibility:
        raise RuleViolation(eligibility.reason, clause="A5.5", field="person")
    account = _account_on(system, person, valid_from, user_id, actor)
    grants = [
        grant_create(
            actor=actor,
            account=account,
            permission=p,
            valid_from=valid_from,
            valid_to=valid_to,
            purpose=purpose,
            purpose_note=purpose_note,
            basis=GrantBasis.DIRECT,
            basis_reference=str(eligibility.entry or "A5.5"),
        )
        for p in permissions
    ]
    names = "、".join(f"{p.system.name}：{p.name}" for p in permissions)
    _notify_officers_of(
        person,
        on=valid_from,
        clause="A5.6",
        subject=_("Direct grant to %(name)s") % {"name": person.full_name},
        body=_(
            "The administrator of %(system)s granted %(name)s (user ID %(uid)s) directly under Art. 5(5): "
            "%(perms)s, from %(date)s."
        )
        % {
            "system": system.name,
            "name": person.full_name,
            "uid": account.user_id,
            "perms": names,
            "date": wareki(valid_from),
        },
        target=account,
    )
    return grants


@transaction.atomic
def grant_revoke_for_transfer(
    *, actor: Actor, person: Person, on: dt.date, reason: str = EndReason.TRANSFER, system: System
) -> list[Grant]:
    """A5.5: revoke the direct grants of someone whom a transfer or retirement moved out of the
    organizations of 別表第2. Refused while the person is still eligible (cancel on Form 1 then)."""
    _require_central_direct_admin(actor, system)
    if reason not in (EndReason.TRANSFER, EndReason.RETIREMENT):
        raise RuleViolation(_("The reason is a transfer or a retirement."), clause="A5.5", field="reason")
    if direct_grant_eligibility(person, on):
        raise RuleViolation(
            _(
                "%(name)s is still in an organization of Table 2 on %(date)s; to withdraw permissions from an "
                "eligible person the security officer cancels them on Form 1."
            )
            % {"name": person.full_name, "date": wareki(on)},
            clause="A5.5",
            field="person",
        )
    held = list(
        Grant.objects.filter(
            account__person=person,
            account__system=system.account_system,
            basis=GrantBasis.DIRECT,
            ended_at__isnull=True,
        ).filter(overlapping_q(on, None))
    )
    if not held:
        raise Conflict(
            _("%(name)s holds no direct grant on %(system)s.")
            % {"name": person.full_name, "system": system.account_system.name}
        )
    ended = [grant_end(actor=actor, grant=g, on=on, reason=reason, note="A5.5") for g in held]
    before = on - dt.timedelta(days=1)
    _notify_officers_of(
        person,
        on=before,
        clause="A5.5",
        subject=_("Direct grants of %(name)s revoked") % {"name": person.full_name},
        body=_("%(n)d direct grants on %(system)s end on %(date)s (%(reason)s).")
        % {
            "n": len(ended),
            "system": system.account_system.name,
            "date": wareki(on),
            "reason": EndReason(reason).label,
        },
    )
    return ended


@transaction.atomic
def grant_delete_for_breach(
    *,
    actor: Actor,
    account: Account,
    reason: str,
    on: dt.date | None = None,
    grants: list[Grant] | None = None,
) -> list[Grant]:
    """A5.7/A5.8: an administrator who judges that a user breached Art. 69(1) of the personal
    information act deletes their user ID (all grants and the ID) or the named permissions, states
    why, and the security officer is notified. Nothing is erased: entries end with reason 'breach'."""
    account = (
        Account.objects.select_for_update(of=("self",)).select_related("system", "person").get(pk=account.pk)
    )
    require_file_administrator(actor, account.system)
    if not reason.strip():
        raise RuleViolation(
            _("State the breach of Art. 69(1) that justifies the deletion."), clause="A5.7", field="reason"
        )
    on = on or timezone.localdate()
    targets = (
        grants
        if grants is not None
        else list(
            Grant.objects.filter(account=account, ended_at__isnull=True).filter(overlapping_q(on, None))
        )
    )
    for g in targets:
        if g.account_id != account.pk:
            raise RuleViolation(
                _("That permission belongs to another user ID."), clause="A5.7", field="grants"
            )
    ended = [
        grant_end(actor=actor, grant=g, on=on, reason=EndReason.BREACH, note=reason.strip()) for g in targets
    ]
    whole_id = grants is None
    if whole_id and (account.valid_to is None or account.valid_to > on):
        old = {"valid_to": account.valid_to}
        account.valid_to = max(on, account.valid_from)
        account.end_reason = EndReason.BREACH
        account.save(update_fields=["valid_to", "end_reason"])
        audit_record(
            actor=actor,
            action=AuditAction.ACCOUNT_ENDED,
            target=account,
            old=old,
            new={"valid_to": account.valid_to, "end_reason": EndReason.BREACH},
        )
    audit_record(
        actor=actor,
        action=AuditAction.BREACH_DELETION,
        target=account,
        new={
            "user_id": account.user_id,
            "whole_id": whole_id,
            "grants": [g.pk for g in ended],
            "reason": reason.strip(),
            "on": on,
        },
    )
    if account.person is not None:
        what = (
            _("the user ID %(uid)s") % {"uid": account.user_id}
            if whole_id
            else _("%(n)d permissions of user ID %(uid)s") % {"n": len(ended), "uid": account.user_id}
        )
        _notify_officers_of(
            account.person,
            on=on,
            clause="A5.8",
            subject=_("Deletion for breach: %(name)s") % {"name": account.person.full_name},
            body=_(
                "The administrator of %(system)s deleted %(what)s of %(name)s from %(date)s for a breach of "
                "Art. 69(1) of the Act on the Protection of Personal Information. Reason: %(reason)s"
            )
            % {
                "system": account.system.name,
                "what": what,
                "name": account.person.full_name,
                "date": wareki(on),
                "reason": reason.strip(),
            },
            target=account,
        )
    return ended


@transaction.atomic
def maintenance_account_register(
    *,
    actor: Actor,
    person: Person,
    system: System,
    user_id: str,
    permissions: list[SystemPermission],
    valid_from: dt.date,
    valid_to: dt.date,
    note: str = "",
) -> list[Grant]:
    """A5.9: register a maintenance staff member's user ID and permissions; they always end."""
    root = system.account_system
    require_file_administrator(actor, root)
    if person.kind != PersonKind.MAINTENANCE:
        raise RuleViolation(
            _("%(name)s is not maintenance staff.") % {"name": person.full_name},
            clause="A5.9",
            field="person",
        )
    if valid_to is None:
        raise RuleViolation(
            _("A maintenance staff permission always has an end date."), clause="A5.9", field="valid_to"
        )
    if not permissions:
        raise RuleViolation(_("Choose at least one permission."), clause="A5.9", field="permissions")
    check_maintenance_limit(person, root, valid_from, valid_to)
    account = Account.objects.filter(system=root, person=person).as_of(valid_from).first() or account_create(
        actor=actor,
        system=root,
        user_id=user_id,
        person=person,
        valid_from=valid_from,
        valid_to=valid_to,
        kind=AccountKind.MAINTENANCE,
    )
    return [
        grant_create(
            actor=actor,
            account=account,
            permission=p,
            valid_from=valid_from,
            valid_to=valid_to,
            basis=GrantBasis.MAINTENANCE,
            basis_reference=note[:100],
        )
        for p in permissions
    ]


@transaction.atomic
def account_end(*, actor: Actor, account: Account, on: dt.date, reason: str) -> Account:
    """End a user ID and every permission it still holds (A5.9 deletion of maintenance IDs, …)."""
    account = Account.objects.select_for_update(of=("self",)).select_related("system").get(pk=account.pk)
    require_file_administrator(actor, account.system)
    if reason not in EndReason.values:
        raise RuleViolation(_("Unknown end reason %(r)s.") % {"r": reason}, field="reason")
    if account.valid_to is not None and account.valid_to <= on:
        raise _already_ends(_("This user ID has already ended."), _("This user ID"), account.valid_to)
    for g in Grant.objects.filter(account=account, ended_at__isnull=True).filter(overlapping_q(on, None)):
        grant_end(actor=actor, grant=g, on=on, reason=EndReason.ACCOUNT_ENDED)
    old = {"valid_to": account.valid_to}
    account.valid_to = max(on, account.valid_from)
    account.end_reason = reason
    account.save(update_fields=["valid_to", "end_reason"])
    audit_record(
        actor=actor,
        action=AuditAction.ACCOUNT_ENDED,
        target=account,
        old=old,
        new={"valid_to": account.valid_to, "end_reason": reason},
    )
    return account
