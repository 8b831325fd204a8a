"""The bulk personnel wave: HR lists imported, validated, previewed and applied as one."""

from __future__ import annotations

import datetime as dt
from typing import Any, Self

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kengen.core.models import RestrictedQuerySet
from kengen.core.scope import ScopeLike
from kengen.hrwave.choices import WaveStatus


class _PersonnelOnly(RestrictedQuerySet):
    def restrict_to_scope(self, scope: ScopeLike, action: str, on: dt.date | None = None) -> Self:
        if getattr(scope, "is_personnel", False):
            return self
        if action == "view" and scope.sees_everything:
            return self
        return self.none()


class ColumnMappingQuerySet(_PersonnelOnly):
    pass


class ColumnMapping(models.Model):
    """How one city's HR export names its columns: ``columns`` maps each wave field
    (``choices.WAVE_FIELDS``) to the header text in the file."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    columns = models.JSONField(_("columns"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ColumnMappingQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("column mapping")
        verbose_name_plural = _("column mappings")

    def __str__(self) -> str:
        return self.name


class WaveImportQuerySet(_PersonnelOnly):
    pass


class WaveImport(models.Model):
    """One HR list as uploaded: its errors, preview totals and what became of it (its validated
    rows are ``WaveRow``s). ``content_sha256`` lets a re-import of the same file be recognised."""

    file_name = models.CharField(_("file name"), max_length=255)
    content_sha256 = models.CharField(max_length=64, db_index=True)
    encoding = models.CharField(_("detected encoding"), max_length=20)
    mapping = models.ForeignKey(
        ColumnMapping,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("mapping"),
    )
    effective_on = models.DateField(_("effective on"), db_index=True)
    status = models.CharField(_("status"), max_length=20, choices=WaveStatus.choices)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    errors = models.JSONField(_("errors"), default=list)
    totals = models.JSONField(_("totals"), default=dict)
    fingerprint = models.CharField(max_length=64, blank=True)
    computed_at_seq = models.BigIntegerField(
        null=True, blank=True, help_text=_("The audit chain head the preview was computed at.")
    )
    created_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    result = models.JSONField(_("result"), default=dict)
    error = models.TextField(_("error"), blank=True)

    objects = WaveImportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("HR list import")
        verbose_name_plural = _("HR list imports")
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=WaveStatus.values), name="wave_status_valid")
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.effective_on})"

    @property
    def rows(self) -> list[dict[str, Any]]:
        """Every validated row (normalized), in file order: for small lists and tests; the wave's
        own steps read ``WaveRow``s date by date, in chunks."""
        return list(self.row_set.order_by("row_no").values_list("data", flat=True))


class WaveRowQuerySet(_PersonnelOnly):
    pass


class WaveRow(models.Model):
    """One validated line of an HR list (``data``: normalized, ids resolved), written in batches
    while the file is read so that no single value grows with the list."""

    wave = models.ForeignKey(WaveImport, on_delete=models.CASCADE, related_name="row_set")
    row_no = models.PositiveIntegerField(_("row"))
    on = models.DateField(_("effective on"))
    data = models.JSONField()

    objects = WaveRowQuerySet.as_manager()

    class Meta:
        ordering = ["wave", "row_no"]
        verbose_name = _("HR list row")
        verbose_name_plural = _("HR list rows")
        indexes = [models.Index(fields=["wave", "on", "row_no"], name="wave_row_date_order")]
        constraints = [models.UniqueConstraint(fields=["wave", "row_no"], name="wave_row_unique")]

    def __str__(self) -> str:
        return f"{self.wave_id} #{self.row_no}"


class WaveLineQuerySet(_PersonnelOnly):
    pass


class WaveLine(models.Model):
    """One person's line of a preview: the change and its consequences (written in bulk)."""

    wave = models.ForeignKey(WaveImport, on_delete=models.CASCADE, related_name="lines")
    row_no = models.PositiveIntegerField(_("row"))
    staff_number = models.CharField(_("staff number"), max_length=20)
    name = models.CharField(_("name"), max_length=101)
    action = models.CharField(_("action"), max_length=20)
    effective_on = models.DateField(_("effective on"))
    before = models.CharField(_("before"), max_length=300, blank=True)
    after = models.CharField(_("after"), max_length=300, blank=True)
    consequences = models.TextField(_("consequences"), blank=True)
    already_done = models.BooleanField(_("already in effect"), default=False)

    objects = WaveLineQuerySet.as_manager()

    class Meta:
        ordering = ["wave", "row_no", "id"]
        verbose_name = _("preview line")
        verbose_name_plural = _("preview lines")
        indexes = [models.Index(fields=["wave", "row_no", "id"], name="wave_line_order")]

    def __str__(self) -> str:
        return f"{self.row_no} {self.name}"


class WavePlanQuerySet(_PersonnelOnly):
    pass


class WavePlan(models.Model):
    """Part of what the preview computed for one date (``selectors.plan_dump``): the consequence
    items by category, by id. Applying reads it instead of running the engine again when nothing
    was recorded since the preview (the audit chain head has not moved); written in parts so no
    single value grows with the wave."""

    wave = models.ForeignKey(WaveImport, on_delete=models.CASCADE, related_name="plan")
    on = models.DateField(_("effective on"))
    part = models.PositiveIntegerField()
    items = models.JSONField(default=dict)

    objects = WavePlanQuerySet.as_manager()

    class Meta:
        ordering = ["wave", "on", "part"]
        verbose_name = _("preview plan")
        verbose_name_plural = _("preview plans")
        constraints = [models.UniqueConstraint(fields=["wave", "on", "part"], name="wave_plan_part_unique")]

    def __str__(self) -> str:
        return f"{self.wave_id} {self.on} #{self.part}"
