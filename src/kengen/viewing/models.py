"""Viewing IDs lent to viewers (A11): the request, the lending and the return, kept as the record
the security officer must keep (A11.3).

A viewing user ID is a ``grants.Account`` of kind ``viewing`` held by a unit
(``holder_organization``). Its password is a temporary credential under A8 (A11.4): Kengen sets a
fresh random one at each lending and rotates it again at return.
"""

from __future__ import annotations

import datetime as dt
from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kengen.core.models import RestrictedQuerySet
from kengen.core.scope import ScopeLike
from kengen.viewing.choices import LendingStatus


class ViewingLendingQuerySet(RestrictedQuerySet):
    def restrict_to_scope(self, scope: ScopeLike, action: str, on: dt.date | None = None) -> Self:
        """Lend, refuse and record the return: the security officer of the holding unit (A11.2).
        Withdraw: the viewer. Read: the viewer, the officers of the holding unit and of the viewer's
        unit, the administrators of the viewing ID's system, auditors."""
        if action == "change":
            return self.filter(holder_organization_id__in=scope.officer_org_ids)
        if action == "withdraw":
            return self.filter(viewer_id=scope.person_id) if scope.person_id else self.none()
        if action != "view":
            return self.none()
        if scope.sees_everything:
            return self
        q = Q(viewer_id=scope.person_id) if scope.person_id else Q(pk__in=[])
        if scope.officer_org_ids:  # the holding unit's records, and their own staff's requests (A4)
            q |= Q(holder_organization_id__in=scope.officer_org_ids)
            q |= Q(viewer_organization_id__in=scope.officer_org_ids)
        if scope.administered_system_ids:
            q |= Q(account__system_id__in=scope.administered_system_ids)
        return self.filter(q)


class ViewingLending(models.Model):
    """One viewer's request to see the screens of another division's terminals (A11.1), and, once
    the security officer permits it, the lending of a viewing ID: who (name and unit), which ID,
    when lent, for what, when returned (A11.3). The password lent is never recorded."""

    holder_organization = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.PROTECT,
        related_name="viewing_lendings",
        verbose_name=_("unit lending the viewing ID"),
    )
    viewer = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="viewing_lendings", verbose_name=_("viewer")
    )
    viewer_organization = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("viewer's unit"),
    )
    viewer_name = models.CharField(_("viewer's name"), max_length=120)
    viewer_unit_name = models.CharField(_("viewer's unit"), max_length=300)
    purpose = models.CharField(_("purpose"), max_length=300)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=LendingStatus.choices,
        default=LendingStatus.REQUESTED,
        db_index=True,
    )
    requested_at = models.DateTimeField(_("requested at"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    account = models.ForeignKey(
        "grants.Account",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lendings",
        verbose_name=_("viewing user ID"),
    )
    lent_at = models.DateTimeField(_("lent at"), null=True, blank=True)
    lent_by = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lent by (security officer)"),
    )
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    returned_by = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("return recorded by"),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    refusal_reason = models.CharField(_("reason for refusal"), max_length=300, blank=True)

    objects = ViewingLendingQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("viewing ID lending")
        verbose_name_plural = _("viewing ID lendings")
        constraints = [
            # A viewing ID is with one viewer at a time.
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(status=LendingStatus.LENT),
                name="viewing_one_open_lending_per_id",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[LendingStatus.LENT, LendingStatus.RETURNED])
                | Q(account__isnull=False, lent_at__isnull=False),
                name="viewing_lent_has_id_and_time",
            ),
            models.CheckConstraint(
                condition=~Q(status=LendingStatus.RETURNED) | Q(returned_at__isnull=False),
                name="viewing_returned_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status=LendingStatus.REFUSED) | ~Q(refusal_reason=""),
                name="viewing_refusal_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.viewer_name} → {self.account.user_id if self.account is not None else self.holder_organization}"
