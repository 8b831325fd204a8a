"""Viewing IDs (A11.1–A11.4): register, request, lend, return.

A viewer from outside the division that installed the terminals asks that division's security
officer (A11.1); the officer lends a viewing ID and permits viewing (A11.2); the lending record —
viewer's name and unit, viewing ID, when lent, purpose, when returned — is kept (A11.3). The
viewing password is a temporary credential under A8 (A11.4): Kengen sets a fresh random one at
each lending, shows it once to the officer to hand over, and replaces it at return with one nobody
has seen, so a returned password never works again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from kengen.audit.choices import AuditAction
from kengen.audit.services import audit_record
from kengen.core.exceptions import Conflict, NotFound, PermissionDenied, RuleViolation
from kengen.core.types import Actor
from kengen.credentials.choices import LockReason
from kengen.credentials.selectors import policy_for
from kengen.credentials.services import credential_create_locked, credential_rotate
from kengen.grants.choices import AccountKind, GrantBasis
from kengen.grants.models import Account
from kengen.grants.services import account_create, grant_create
from kengen.notifications.services import notification_send, notifications_resolve
from kengen.organizations.models import Organization
from kengen.organizations.selectors import OrgTree
from kengen.people.choices import PersonKind
from kengen.people.models import Assignment, Person
from kengen.roles.selectors import scope_for, security_officers_for
from kengen.systems.models import System, SystemPermission
from kengen.users.models import User
from kengen.viewing.choices import LendingStatus
from kengen.viewing.models import ViewingLending


@dataclass(frozen=True)
class Lent:
    lending: ViewingLending
    #: Shown once to the security officer on the lending confirmation, to hand to the viewer.
    password: str = field(repr=False)


def _security_unit(tree: OrgTree, org_id: int) -> int:
    unit = tree.security_unit_of(org_id)
    return unit.id if unit is not None else org_id


@transaction.atomic
def viewing_id_create(
    *,
    actor: Actor,
    system: System,
    user_id: str,
    holder_organization: Organization,
    permissions: Sequence[SystemPermission],
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    reference: str = "",
) -> Account:
    """The system's administrator registers a viewing ID for a unit's terminals with its
    permissions (A11.4: A5 applies to viewers' permissions). It has no usable password until it
    is lent."""
    if not permissions:
        raise RuleViolation(
            _("Choose at least one permission for the viewing ID."), clause="A11.4", field="permissions"
        )
    account = account_create(
        actor=actor,
        system=system,
        user_id=user_id,
        valid_from=valid_from,
        valid_to=valid_to,
        holder_organization=holder_organization,
        kind=AccountKind.VIEWING,
    )
    for perm in permissions:
        grant_create(
            actor=actor,
            account=account,
            permission=perm,
            valid_from=valid_from,
            valid_to=valid_to,
            basis=GrantBasis.VIEWING,
            basis_reference=(reference.strip() or "A11.4")[:100],
        )
    credential_create_locked(account=account, reason=LockReason.NOT_LENT)
    return account


def _viewer_unit(viewer: Person, today: dt.date) -> list[Assignment]:
    assignments = sorted(viewer.assignments_on(today), key=lambda a: (not a.is_primary, a.valid_from))
    return assignments


@transaction.atomic
def viewing_request(
    *,
    actor: User,
    holder_organization: Organization,
    purpose: str,
    viewer: Person | None = None,
    now: dt.datetime | None = None,
) -> ViewingLending:
    """A viewer asks the security officer of the unit whose terminals they must look at (A11.1).
    The viewer asks for themselves; the officer may record a request made in person."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    scope = scope_for(actor)
    viewer = viewer or getattr(actor, "person", None)
    if viewer is None:
        raise PermissionDenied(_("Only staff can ask to view another unit's terminals."), clause="A11.1")
    if viewer.pk != scope.person_id and holder_organization.id not in scope.officer_org_ids:
        raise PermissionDenied(
            _("Only the viewer, or the security officer of %(unit)s, can record this request.")
            % {"unit": holder_organization.name},
            clause="A11.1",
        )
    if not purpose.strip():
        raise RuleViolation(
            _("Say for which of your duties you need to view the screens (Art. 11(1))."),
            clause="A11.1",
            field="purpose",
        )
    if viewer.kind != PersonKind.STAFF:
        raise RuleViolation(_("Viewers are staff of another division."), clause="A11.1", field="viewer")
    if not holder_organization.is_active_on(today):
        raise RuleViolation(
            _("%(unit)s does not exist today.") % {"unit": holder_organization.name},
            field="holder_organization",
        )
    assignments = _viewer_unit(viewer, today)
    if not assignments:
        raise RuleViolation(
            _("%(name)s belongs to no unit today.") % {"name": viewer.full_name},
            clause="A11.1",
            field="viewer",
        )
    tree = OrgTree(today)
    holder_unit = _security_unit(tree, holder_organization.id)
    for a in assignments:
        if _security_unit(tree, a.organization_id) == holder_unit:
            raise RuleViolation(
                _(
                    "%(name)s belongs to %(unit)s, the division that installed these terminals: its staff use "
                    "their own user IDs. Viewing IDs are for staff of other divisions (Art. 11(1))."
                )
                % {"name": viewer.full_name, "unit": tree.full_name(holder_unit)},
                clause="A11.1",
                field="viewer",
            )
    unit = assignments[0].organization
    lending = ViewingLending.objects.create(
        holder_organization=holder_organization,
        viewer=viewer,
        viewer_organization=unit,
        viewer_name=viewer.full_name,
        viewer_unit_name=tree.full_name(unit.id) if unit.id in tree.by_id else unit.name,
        purpose=purpose.strip()[:300],
        requested_at=now,
        requested_by=actor,
    )
    audit_record(
        actor=actor,
        action=AuditAction.VIEWING_REQUESTED,
        target=lending,
        new={
            "holder_organization": holder_organization.pk,
            "viewer": viewer.pk,
            "viewer_organization": unit.pk,
            "purpose": lending.purpose,
        },
    )
    notification_send(
        recipients=security_officers_for(holder_organization.id, today),
        clause="A11.1",
        subject=_("Viewing request from %(name)s") % {"name": viewer.full_name},
        body=_("%(name)s (%(unit)s) asks to view the screens of %(holder)s's terminals for: %(purpose)s")
        % {
            "name": viewer.full_name,
            "unit": lending.viewer_unit_name,
            "holder": holder_organization.name,
            "purpose": lending.purpose,
        },
        target=lending,
        link=reverse("viewing:detail", args=[lending.pk]),
    )
    return lending


def _locked_lending(lending: ViewingLending, actor: User, action: str) -> ViewingLending:
    found = (
        ViewingLending.objects.restrict(actor, action)
        .select_for_update(of=("self",))
        .filter(pk=lending.pk)
        .first()
    )
    if found is None:
        raise NotFound(_("Not found."))
    return found


def _expect(lending: ViewingLending, *statuses: str) -> None:
    if lending.status not in statuses:
        raise Conflict(
            _("This request is %(status)s; this cannot be done now.")
            % {"status": lending.get_status_display()}
        )


@sensitive_variables("password")
def viewing_lend(
    *, actor: User, lending: ViewingLending, account: Account, now: dt.datetime | None = None
) -> Lent:
    """The security officer lends a viewing ID and permits viewing (A11.2): a fresh random
    password is set (A11.4) and returned once, for the officer to hand to the viewer."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    try:
        with transaction.atomic():
            lending = _locked_lending(lending, actor, "change")
            _expect(lending, LendingStatus.REQUESTED)
            officer = actor.person
            assert officer is not None  # "change" reaches a lending only through an officer's scope
            found = (
                Account.objects.select_for_update(of=("self",))
                .select_related("system", "holder_organization")
                .filter(pk=account.pk)
                .first()
            )
            if found is None or found.kind != AccountKind.VIEWING:
                raise RuleViolation(_("Choose a viewing user ID."), clause="A11.2", field="account")
            account = found
            assert account.holder_organization_id is not None  # account_holder_matches_kind
            tree = OrgTree(today)
            if _security_unit(tree, account.holder_organization_id) != _security_unit(
                tree, lending.holder_organization_id
            ):
                raise RuleViolation(
                    _("That viewing ID belongs to another unit's terminals."), clause="A11.2", field="account"
                )
            if not account.is_active_on(today):
                raise Conflict(
                    _("Viewing ID %(uid)s is not in force today.") % {"uid": account.user_id}, field="account"
                )
            policy = policy_for(account.system)
            if not policy.holds_verifier:
                raise RuleViolation(
                    _(
                        "Kengen must hold the passwords of %(system)s to lend its viewing IDs: it sets a fresh "
                        "password at each lending and replaces it at return (Art. 11(4))."
                    )
                    % {"system": account.system.name},
                    clause="A11.4",
                    field="account",
                )
            busy = (
                ViewingLending.objects.filter(account=account, status=LendingStatus.LENT)
                .select_related("viewer")
                .first()
            )
            if busy is not None:
                raise Conflict(
                    _("Viewing ID %(uid)s is lent to %(name)s and has not been returned.")
                    % {"uid": account.user_id, "name": busy.viewer_name},
                    clause="A11.3",
                    field="account",
                )
            lending.status = LendingStatus.LENT
            lending.account = account
            lending.lent_at = now
            lending.lent_by = officer
            with transaction.atomic():
                lending.save(update_fields=["status", "account", "lent_at", "lent_by"])
            issued = credential_rotate(
                actor=actor,
                account=account,
                reference=f"lending {lending.pk}",
                note=_("lent to %(name)s") % {"name": lending.viewer_name},
                now=now,
            )
            password = issued.value
            audit_record(
                actor=actor,
                action=AuditAction.VIEWING_LENT,
                target=lending,
                new={
                    "account": account.pk,
                    "user_id": account.user_id,
                    "viewer": lending.viewer_id,
                    "viewer_name": lending.viewer_name,
                    "viewer_unit": lending.viewer_unit_name,
                    "purpose": lending.purpose,
                    "lent_at": now,
                    "password_expires_at": issued.credential.expires_at,
                },
            )
            notifications_resolve(target=lending)  # the request the officer was asked to decide
            notification_send(
                recipients=[lending.viewer],
                clause="A11.2",
                subject=_("Viewing permitted: %(holder)s") % {"holder": lending.holder_organization.name},
                body=_(
                    "%(officer)s lent you viewing ID %(uid)s and permits viewing for: %(purpose)s. The password "
                    "is handed to you in person, never by message. Return it when you are done."
                )
                % {"officer": officer.full_name, "uid": account.user_id, "purpose": lending.purpose},
                target=lending,
                link=reverse("viewing:detail", args=[lending.pk]),
            )
    except IntegrityError:  # a concurrent lending of the same ID won the race (the constraint held)
        raise Conflict(
            _("Viewing ID %(uid)s has just been lent to someone else.") % {"uid": account.user_id},
            clause="A11.3",
            field="account",
        ) from None
    return Lent(lending=lending, password=password)


@transaction.atomic
def viewing_return(*, actor: User, lending: ViewingLending, now: dt.datetime | None = None) -> ViewingLending:
    """Record the return (A11.3) and replace the password with one nobody has seen (A11.4), so the
    password the viewer had never works again; the ID stays locked until its next lending."""
    now = now or timezone.now()
    lending = _locked_lending(lending, actor, "change")
    _expect(lending, LendingStatus.LENT)
    assert lending.account_id is not None  # viewing_lent_has_id_and_time
    account = Account.objects.select_related("system").get(pk=lending.account_id)
    lending.status = LendingStatus.RETURNED
    lending.returned_at = now
    lending.returned_by = actor.person
    lending.save(update_fields=["status", "returned_at", "returned_by"])
    credential_rotate(  # one nobody has seen, locked until the next lending (A11.4)
        actor=actor,
        account=account,
        lock_reason=LockReason.NOT_LENT,
        reference=f"lending {lending.pk}",
        note=_("returned by %(name)s") % {"name": lending.viewer_name},
        audit={"reason": "viewing ID returned", "lending": lending.pk},
        now=now,
    )
    audit_record(
        actor=actor,
        action=AuditAction.VIEWING_RETURNED,
        target=lending,
        new={"account": account.pk, "user_id": account.user_id, "returned_at": now},
        old={"lent_at": lending.lent_at},
    )
    return lending


@transaction.atomic
def viewing_refuse(*, actor: User, lending: ViewingLending, reason: str) -> ViewingLending:
    lending = _locked_lending(lending, actor, "change")
    _expect(lending, LendingStatus.REQUESTED)
    if not reason.strip():
        raise RuleViolation(_("Say why viewing is not permitted."), clause="A11.2", field="reason")
    lending.status = LendingStatus.REFUSED
    lending.refusal_reason = reason.strip()[:300]
    lending.closed_at = timezone.now()
    lending.save(update_fields=["status", "refusal_reason", "closed_at"])
    audit_record(
        actor=actor,
        action=AuditAction.VIEWING_REFUSED,
        target=lending,
        new={"reason": lending.refusal_reason},
    )
    notification_send(
        recipients=[lending.viewer],
        clause="A11.2",
        subject=_("Viewing not permitted: %(holder)s") % {"holder": lending.holder_organization.name},
        body=_("Reason: %(reason)s") % {"reason": lending.refusal_reason},
        target=lending,
        link=reverse("viewing:detail", args=[lending.pk]),
    )
    return lending


@transaction.atomic
def viewing_withdraw(*, actor: User, lending: ViewingLending) -> ViewingLending:
    lending = _locked_lending(lending, actor, "withdraw")
    _expect(lending, LendingStatus.REQUESTED)
    lending.status = LendingStatus.WITHDRAWN
    lending.closed_at = timezone.now()
    lending.save(update_fields=["status", "closed_at"])
    audit_record(
        actor=actor, action=AuditAction.VIEWING_WITHDRAWN, target=lending, new={"status": lending.status}
    )
    return lending


def lending_rows(lendings: Iterable[ViewingLending]) -> list[list]:
    """The A11.3 record as rows for CSV/Excel (local times; never a password)."""
    rows = []
    for le in lendings:
        rows.append(
            [
                le.viewer_name,
                le.viewer_unit_name,
                le.account.user_id if le.account else "",
                le.account.system.name if le.account else "",
                le.holder_organization.name,
                timezone.localtime(le.lent_at) if le.lent_at else None,
                le.purpose,
                timezone.localtime(le.returned_at) if le.returned_at else None,
                le.lent_by.full_name if le.lent_by else "",
                le.get_status_display(),
                timezone.localtime(le.requested_at),
            ]
        )
    return rows


def lending_headers() -> list[str]:
    return [
        _("Viewer"),
        _("Viewer's unit"),
        _("Viewing user ID"),
        _("System"),
        _("Lending unit"),
        _("Lent at"),
        _("Purpose"),
        _("Returned at"),
        _("Lent by (security officer)"),
        _("Status"),
        _("Requested at"),
    ]
