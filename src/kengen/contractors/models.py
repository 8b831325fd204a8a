"""Contractors whose personnel maintain or operate systems (A2.5).

A minimal record for now; the contractor register (contracts, scopes, A12 assessments) extends it.
"""

from __future__ import annotations

import datetime as dt
from typing import Self

from django.db import models
from django.utils.translation import gettext_lazy as _

from kengen.core.models import RestrictedQuerySet
from kengen.core.scope import ScopeLike


class ContractorQuerySet(RestrictedQuerySet):
    def restrict_to_scope(self, scope: ScopeLike, action: str, on: dt.date | None = None) -> Self:
        if action == "view" and (scope.sees_everything or scope.administered_system_ids):
            return self
        return self.none()


class Contractor(models.Model):
    """A company that maintains or operates a system under contract (業務委託)."""

    name = models.CharField(_("name"), max_length=200)
    kana = models.CharField(_("name (kana)"), max_length=300, blank=True)
    corporate_number = models.CharField(_("corporate number"), max_length=13, blank=True)

    objects = ContractorQuerySet.as_manager()

    class Meta:
        ordering = ["kana", "name"]
        verbose_name = _("contractor")
        verbose_name_plural = _("contractors")

    def __str__(self) -> str:
        return self.name
