"""The catalogue of systems and the operation permissions (権限) each one offers."""

from __future__ import annotations

import datetime as dt
from typing import Self

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kengen.core.models import EffectiveDated, EffectiveQuerySet, RestrictedQuerySet
from kengen.core.scope import ScopeLike
from kengen.organizations.models import Organization
from kengen.organizations.selectors import successor_on
from kengen.systems.choices import SystemKind


class SystemQuerySet(EffectiveQuerySet):
    def restrict_to_scope(self, scope: ScopeLike, action: str, on: dt.date | None = None) -> Self:
        # The catalogue itself is readable by every signed-in user; changing it is configuration.
        if action == "view":
            return self
        return self if scope.is_configurator else self.none()


class System(EffectiveDated):
    """An administrative information system (A2.1) or one of the core package's business systems.

    Its administrator is whoever heads ``owner`` on the day (A3): the IT division for the core
    package, the two-factor system and the intermediate server; the owning division for an
    individual system. A business system of the core package has the core package as ``parent``
    and is administered with it.
    """

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kana = models.CharField(_("name (kana)"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=SystemKind.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="business_systems",
        verbose_name=_("core package"),
    )
    owner = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.PROTECT,
        related_name="owned_systems",
        verbose_name=_("owning division"),
    )
    handles_specific_personal_info = models.BooleanField(
        _("handles specific personal information"),
        default=False,
        help_text=_("Specific personal information (特定個人情報, A2.10): stricter rules may apply."),
    )
    description = models.TextField(_("description"), blank=True)
    sort_order = models.IntegerField(_("order"), default=0)
    user_id_pattern = models.CharField(
        _("user ID pattern"),
        max_length=200,
        blank=True,
        help_text=_(
            "A regular expression the whole user ID must match, e.g. ^k[0-9]{6}$. Empty: letters, digits "
            "and . _ @ - only."
        ),
    )
    user_id_example = models.CharField(_("user ID example"), max_length=64, blank=True)

    objects = SystemQuerySet.as_manager()

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("system")
        verbose_name_plural = _("systems")
        constraints = [
            EffectiveDated.interval_constraint("system_valid_interval"),
            models.CheckConstraint(
                condition=Q(kind=SystemKind.CORE_BUSINESS, parent__isnull=False)
                | (~Q(kind=SystemKind.CORE_BUSINESS) & Q(parent__isnull=True)),
                name="system_only_business_systems_have_parent",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def owner_on(self, date: dt.date) -> Organization | None:
        """The owning division on ``date``: ownership follows the division through
        reorganizations (A3), so the administrator is never lost and the past stays true."""

        owner = Organization.objects.get(pk=self.account_system.owner_id)  # never a stale copy
        if owner.is_active_on(date):
            return owner
        return successor_on(owner, date)

    @property
    def account_system(self) -> System:
        """The system on which user IDs are issued: the core package for its business systems."""
        return self.parent if self.parent is not None else self


class SystemPermissionQuerySet(RestrictedQuerySet):
    def restrict_to_scope(self, scope: ScopeLike, action: str, on: dt.date | None = None) -> Self:
        return self if action == "view" else (self if scope.is_configurator else self.none())


class SystemPermission(models.Model):
    """An operation permission a system offers (e.g. 照会 / 更新 / 管理), configurable per system."""

    system = models.ForeignKey(
        System, on_delete=models.PROTECT, related_name="permissions", verbose_name=_("system")
    )
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=50)
    description = models.CharField(_("description"), max_length=200, blank=True)
    sort_order = models.IntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("offered"), default=True)

    objects = SystemPermissionQuerySet.as_manager()

    class Meta:
        ordering = ["system", "sort_order", "code"]
        verbose_name = _("operation permission")
        verbose_name_plural = _("operation permissions")
        constraints = [
            models.UniqueConstraint(fields=["system", "code"], name="system_permission_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.system.name} {self.name}"


# A user ID is an identifier written into the management file, exported to spreadsheets and shown
# in pages: without a pattern of its own a system's IDs are letters, digits and . _ @ - , starting
# with a letter or digit (so no markup, no spreadsheet formula such as =HYPERLINK(…), no spaces).
DEFAULT_USER_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}"


def user_id_problem(system: System, user_id: str) -> str | None:
    """Why ``user_id`` cannot be a user ID on ``system`` (its account system's pattern), or ``None``."""
    import re

    root = system.account_system
    # Read the pattern afresh: a caller's copy of the system may predate a change of pattern.
    pattern, example = (
        System.objects.filter(pk=root.pk).values_list("user_id_pattern", "user_id_example").get()
    )
    if pattern:
        if _safe_custom(pattern, user_id):
            return None
        return str(
            _("User IDs on %(system)s must match %(pattern)s%(example)s; %(uid)s does not.")
            % {
                "system": root.name,
                "pattern": pattern,
                "example": f" ({example})" if example else "",
                "uid": user_id,
            }
        )
    if re.fullmatch(DEFAULT_USER_ID_PATTERN, user_id):
        return None
    return str(
        _(
            "A user ID may contain only letters, digits and . _ @ - and must start with a letter or digit "
            "(no spaces, markup or spreadsheet formulas)."
        )
    )


def _safe_custom(pattern: str, user_id: str) -> bool:
    """A system's own pattern, and never markup or a formula whatever the pattern allows."""
    import re

    if any(c in user_id for c in "<>\"'&\t\r\n ") or user_id[:1] in "=+-@":
        return False
    return re.fullmatch(pattern.removeprefix("^").removesuffix("$"), user_id) is not None
