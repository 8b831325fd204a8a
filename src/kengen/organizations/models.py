"""The effective-dated organization tree and the posts people hold in it."""

from __future__ import annotations

import datetime as dt
from typing import Self

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kengen.core.models import EffectiveDated, EffectiveQuerySet
from kengen.core.scope import ScopeLike
from kengen.organizations.choices import OrganizationEndReason, OrganizationKind


class OrganizationQuerySet(EffectiveQuerySet):
    def restrict_to_scope(self, scope: ScopeLike, action: str, on: dt.date | None = None) -> Self:
        # The organization chart is not confidential: every signed-in user may read it.
        # Changing it is for Kengen's configuration administrators only.
        if action == "view":
            return self
        return self if scope.is_configurator else self.none()


class Organization(EffectiveDated):
    """A unit (部/室/課/係, 総合支所, 支所, 出張所, 事務局 …) for the period it exists.

    A unit is never renamed or moved in place: a reorganization ends it and starts its successor
    on the same date (``successors``), so the tree as of any past date is still a query.
    """

    code = models.CharField(_("code"), max_length=32, db_index=True)
    name = models.CharField(_("name"), max_length=100)
    kana = models.CharField(_("name (kana)"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=OrganizationKind.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    sort_order = models.IntegerField(_("order"), default=0)
    is_security_unit = models.BooleanField(
        _("has a security officer"),
        default=False,
        help_text=_(
            "The head of this unit is the information security officer (情報セキュリティ責任者) "
            "for it and the units below it."
        ),
    )
    predecessors = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="successors", verbose_name=_("predecessors")
    )
    end_reason = models.CharField(
        _("end reason"), max_length=20, choices=OrganizationEndReason.choices, blank=True
    )

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        constraints = [
            EffectiveDated.interval_constraint("organization_valid_interval"),
            models.UniqueConstraint(fields=["code", "valid_from"], name="organization_code_from_unique"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | ~Q(end_reason=""),
                name="organization_end_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Post(models.Model):
    """A post (職) such as 部長, 課長, 係長, 主任. ``is_head`` marks the head of the unit."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=50)
    kana = models.CharField(_("name (kana)"), max_length=100, blank=True)
    is_head = models.BooleanField(
        _("heads the unit"),
        default=False,
        help_text=_("Whoever holds this post in a unit is that unit's head, and takes its roles."),
    )
    rank = models.PositiveSmallIntegerField(_("rank"), default=100, help_text=_("Lower is more senior."))
    unit_kinds = models.JSONField(
        _("kinds of unit"),
        default=list,
        blank=True,
        help_text=_("The kinds of unit that have this post (課長 in a 課, 係長 in a 係); empty: any unit."),
    )

    class Meta:
        ordering = ["rank", "code"]
        verbose_name = _("post")
        verbose_name_plural = _("posts")

    def __str__(self) -> str:
        return self.name

    def fits(self, organization: Organization) -> bool:
        """Whether a unit of ``organization``'s kind has this post (AS: the post exists in the unit)."""
        return not self.unit_kinds or organization.kind in self.unit_kinds

    @property
    def unit_kind_labels(self) -> list[str]:
        from kengen.organizations.choices import OrganizationKind

        return [str(OrganizationKind(k).label) for k in self.unit_kinds if k in OrganizationKind.values]
