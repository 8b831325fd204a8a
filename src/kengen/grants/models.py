"""The management file (管理ファイル, A2.6): user IDs on systems and the permissions they hold.

Nothing is ever deleted or overwritten: ending an account or a grant sets ``valid_to`` and a reason,
so the file as of any past date is a query (``selectors.management_file``).
"""

from __future__ import annotations

import datetime as dt
from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kengen.core.models import EffectiveDated, EffectiveQuerySet, active_on_q
from kengen.core.scope import ScopeLike
from kengen.grants.choices import AccountKind, EndReason, GrantBasis, Purpose
from kengen.people.models import Assignment

#: Above this many people a reached set is passed to the database as a subquery, not a list.
MAX_LISTED_PEOPLE = 5000


def officer_member_ids(scope: ScopeLike, on: dt.date | None) -> list[int] | QuerySet[Assignment, int]:
    """The people assigned to the officer's units today or on ``on`` (A4), looked up once per scope
    and date: a list the planner can match with an index (``person_id IN (…)``), not a correlated
    ``EXISTS`` OR-ed with the other ways in. Very large sets stay a subquery (a semi-join)."""
    cache = scope.__dict__.setdefault("_kengen_member_ids", {})
    if on in cache:
        return cache[on]
    when = active_on_q(scope.date) | active_on_q(on) if on and on != scope.date else active_on_q(scope.date)
    members = (
        Assignment.objects.filter(organization_id__in=scope.officer_org_ids)
        .filter(when)
        .order_by()  # no default ordering: DISTINCT over person ids alone, no join
        .values_list("person_id", flat=True)
        .distinct()
    )
    ids = list(members[: MAX_LISTED_PEOPLE + 1])
    cache[on] = ids if len(ids) <= MAX_LISTED_PEOPLE else members
    return cache[on]


def _account_scope_q(scope: ScopeLike, on: dt.date | None, prefix: str = "") -> Q | None:
    """Which accounts a scope reaches; ``None`` means all of them.

    Every way in is a plain column test on the account (its holder, its system, its holding
    unit), so PostgreSQL combines index scans (BitmapOr) instead of scanning every account."""
    if scope.sees_everything:
        return None
    q = Q(pk__in=[])
    if scope.person_id:
        q |= Q(**{f"{prefix}person_id": scope.person_id})
    if scope.administered_system_ids:
        q |= Q(**{f"{prefix}system_id__in": sorted(scope.administered_system_ids)})
    if scope.officer_org_ids:
        q |= Q(**{f"{prefix}person_id__in": officer_member_ids(scope, on)})
        q |= Q(**{f"{prefix}holder_organization_id__in": sorted(scope.officer_org_ids)})
    return q


class AccountQuerySet(EffectiveQuerySet):
    def restrict_to_scope(self, scope: ScopeLike, action: str, on: dt.date | None = None) -> Self:
        if action != "view":
            return self.none()  # changes go through services that check the acting role
        q = _account_scope_q(scope, on)
        return self if q is None else self.filter(q)


class Account(EffectiveDated):
    """A user ID on a system (ユーザID, A2.6), held by a person or, for viewing IDs, by a unit."""

    system = models.ForeignKey(
        "systems.System", on_delete=models.PROTECT, related_name="accounts", verbose_name=_("system")
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=AccountKind.choices, default=AccountKind.PERSONAL
    )
    user_id = models.CharField(_("user ID"), max_length=64)
    person = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="accounts",
        verbose_name=_("holder"),
    )
    holder_organization = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="viewing_accounts",
        verbose_name=_("holding unit"),
        help_text=_("For viewing IDs: the unit whose terminals they are for (A11)."),
    )
    end_reason = models.CharField(_("end reason"), max_length=20, choices=EndReason.choices, blank=True)
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registered by"),
    )

    objects = AccountQuerySet.as_manager()

    class Meta:
        ordering = ["system", "user_id", "valid_from"]
        verbose_name = _("user ID")
        verbose_name_plural = _("user IDs")
        constraints = [
            EffectiveDated.interval_constraint("account_valid_interval"),
            models.UniqueConstraint(
                fields=["system", "user_id", "valid_from"], name="account_user_id_from_unique"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind=AccountKind.VIEWING) & Q(person__isnull=True, holder_organization__isnull=False)
                )
                | (~Q(kind=AccountKind.VIEWING) & Q(person__isnull=False, holder_organization__isnull=True)),
                name="account_holder_matches_kind",
            ),
        ]
        indexes = [
            # The management file's order within a system (user ID, then id), and the keyset walk
            # from a cursor: one range scan per page.
            models.Index(fields=["system", "user_id", "id"], name="account_system_user_order"),
        ]

    def __str__(self) -> str:
        return f"{self.system.name}: {self.user_id}"


class GrantQuerySet(EffectiveQuerySet):
    def restrict_to_scope(self, scope: ScopeLike, action: str, on: dt.date | None = None) -> Self:
        if action != "view":
            return self.none()
        q = _account_scope_q(scope, on, prefix="account__")
        return self if q is None else self.filter(q)

    def current(self) -> GrantQuerySet:
        from django.utils import timezone

        return self.filter(active_on_q(timezone.localdate()))


class Grant(EffectiveDated):
    """An operation permission held by a user ID for a period (操作権限), with its purpose (A10) and
    basis (which application or rule), and, once ended, when and why."""

    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="grants", verbose_name=_("user ID")
    )
    permission = models.ForeignKey(
        "systems.SystemPermission",
        on_delete=models.PROTECT,
        related_name="grants",
        verbose_name=_("permission"),
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices, default=Purpose.DUTIES)
    purpose_note = models.CharField(_("purpose details"), max_length=300, blank=True)
    purpose_approved_by = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("purpose approved by"),
    )
    purpose_approved_on = models.DateField(_("purpose approved on"), null=True, blank=True)
    basis = models.CharField(_("basis"), max_length=20, choices=GrantBasis.choices)
    basis_reference = models.CharField(
        _("basis reference"), max_length=100, blank=True, help_text=_("Application number or rule.")
    )
    end_reason = models.CharField(_("end reason"), max_length=20, choices=EndReason.choices, blank=True)
    end_note = models.CharField(_("end details"), max_length=300, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ended by"),
    )
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registered by"),
    )

    objects = GrantQuerySet.as_manager()

    class Meta:
        ordering = ["account", "permission", "valid_from"]
        verbose_name = _("grant")
        verbose_name_plural = _("grants")
        constraints = [
            EffectiveDated.interval_constraint("grant_valid_interval"),
            models.CheckConstraint(
                condition=~Q(purpose=Purpose.OTHER)
                | Q(purpose_approved_by__isnull=False, purpose_approved_on__isnull=False),
                name="grant_other_purpose_is_approved",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | ~Q(end_reason=""), name="grant_end_has_reason"
            ),
        ]
        indexes = [models.Index(fields=["account", "valid_from"], name="grant_account_from")]

    def __str__(self) -> str:
        return f"{self.account.user_id} {self.permission}"
