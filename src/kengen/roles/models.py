"""Designated roles. Post-derived roles are not stored anywhere: see ``selectors.scope_for``."""

from __future__ import annotations

import datetime as dt
from typing import Self

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kengen.core.models import EffectiveDated, EffectiveQuerySet
from kengen.core.scope import ScopeLike
from kengen.roles.choices import DesignatedRoleKind


class DesignatedRoleQuerySet(EffectiveQuerySet):
    def restrict_to_scope(self, scope: ScopeLike, action: str, on: dt.date | None = None) -> Self:
        if action == "view" and scope.sees_everything:
            return self
        return self if scope.is_configurator else self.none()


class DesignatedRole(EffectiveDated):
    """A role held by designation for a period: the auditor (read-only, everything) or the
    configuration administrator. Every other role follows the post a person holds."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="designated_roles",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=20, choices=DesignatedRoleKind.choices)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    objects = DesignatedRoleQuerySet.as_manager()

    class Meta:
        ordering = ["role", "valid_from"]
        verbose_name = _("designated role")
        verbose_name_plural = _("designated roles")
        constraints = [EffectiveDated.interval_constraint("designated_role_valid_interval")]

    def __str__(self) -> str:
        return f"{self.user} {self.get_role_display()}"


class ScopeDataVersion(models.Model):
    """One row whose ``version`` changes whenever data that ``scope_for`` reads changes: designated
    roles, assignments, posts, organizations (and their predecessor links) and systems.

    Database triggers bump it (migration ``0004_scope_data_version``), so every write counts —
    services, bulk writes, the admin site, raw SQL — and a cached ``Scope`` keyed by the version is
    never used after the change that would alter it has committed. On PostgreSQL the trigger runs
    at commit (deferred, once per transaction), so the row is locked only for the commit itself."""

    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"scope data version {self.version}"
