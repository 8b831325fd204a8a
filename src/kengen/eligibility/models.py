"""別表第2: the organizations whose staff the core and intermediate-server administrators may
grant directly (A5.5), as effective-dated data (AS)."""

from __future__ import annotations

import datetime as dt
from typing import Self

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kengen.core.models import EffectiveDated, EffectiveQuerySet
from kengen.core.scope import ScopeLike
from kengen.eligibility.choices import EntryScope


class EligibilityEntryQuerySet(EffectiveQuerySet):
    def restrict_to_scope(self, scope: ScopeLike, action: str, on: dt.date | None = None) -> Self:
        if action == "view":
            return self  # the table is part of the published regulation
        return self if scope.is_configurator else self.none()


class EligibilityEntry(EffectiveDated):
    """One line of 別表第2, e.g. 「総務部職員課(人事係及び給与係に限る。)」.

    ``units`` are the 係 (or other units below ``organization``) that the qualifier names:
    with ``ONLY`` just those units (and what is below them) are eligible; with ``EXCEPT`` the whole
    organization but those units is.
    """

    organization = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.PROTECT,
        related_name="eligibility_entries",
        verbose_name=_("organization"),
    )
    scope = models.CharField(
        _("qualifier"), max_length=10, choices=EntryScope.choices, default=EntryScope.ALL
    )
    units = models.ManyToManyField(
        "organizations.Organization",
        blank=True,
        related_name="eligibility_qualifiers",
        verbose_name=_("units named"),
    )
    listed_as = models.CharField(
        _("as listed"), max_length=200, help_text=_("The line exactly as the regulation prints it.")
    )
    sort_order = models.IntegerField(_("order"), default=0)
    source = models.CharField(
        _("source"), max_length=100, blank=True, help_text=_("e.g. 令和6年3月8日内規第50号")
    )

    objects = EligibilityEntryQuerySet.as_manager()

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("Table 2 entry")
        verbose_name_plural = _("Table 2 entries")
        constraints = [
            EffectiveDated.interval_constraint("eligibility_valid_interval"),
            models.CheckConstraint(condition=Q(scope__in=EntryScope.values), name="eligibility_scope_valid"),
        ]

    def __str__(self) -> str:
        return self.listed_as
