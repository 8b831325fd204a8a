"""Building blocks shared by every domain app.

Effective dating: every historical record carries ``valid_from`` (inclusive) and ``valid_to``
(exclusive: the first day on which it no longer holds; ``NULL`` = open-ended). An interval with
``valid_to == valid_from`` never took effect (it was cancelled on its first day). The UI shows the
inclusive last day (``valid_to - 1 day``), as Japanese forms do (「令和8年3月31日まで」).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Self

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from kengen.core.scope import ScopeLike, scope_of


def active_on_q(date: dt.date, prefix: str = "") -> Q:
    """``Q`` for records in force on ``date`` (``prefix`` e.g. ``"account__"`` for relations)."""
    return Q(**{f"{prefix}valid_from__lte": date}) & (
        Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gt": date})
    )


def overlapping_q(start: dt.date, end: dt.date | None, prefix: str = "") -> Q:
    """``Q`` for records whose interval overlaps ``[start, end)``."""
    q = Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gt": start})
    if end is not None:
        q &= Q(**{f"{prefix}valid_from__lt": end})
    return q


def last_day(valid_to: dt.date | None) -> dt.date | None:
    """The inclusive last day of an interval whose exclusive end is ``valid_to``."""
    return None if valid_to is None else valid_to - dt.timedelta(days=1)


def exclusive_end(last: dt.date | None) -> dt.date | None:
    """The exclusive end for an inclusive last day (what forms and HR lists give)."""
    return None if last is None else last + dt.timedelta(days=1)


class RestrictedQuerySet(models.QuerySet):
    """A queryset that can be narrowed to what a user may see (NetBox's ``restrict``).

    ``restrict`` denies by default: a model's queryset overrides ``restrict_to_scope`` to say which
    rows a :class:`~kengen.roles.selectors.Scope` reaches. Every list, detail, export and API
    query goes through it.
    """

    def restrict(self, user: Any, action: str = "view", *, on: dt.date | None = None) -> Self:
        """Rows ``user`` may ``action`` ("view", "change") with the roles they hold today.

        ``on`` is the date being looked at (e.g. the management file as of a past date): a
        security officer reaches the people assigned to their units today *or* on that date.
        """
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self.restrict_to_scope(scope_of(user), action, on)

    def restrict_to_scope(self, scope: ScopeLike, action: str, on: dt.date | None = None) -> Self:
        return self.none()


class EffectiveQuerySet(RestrictedQuerySet):
    """Queries over effective-dated rows."""

    def as_of(self, date: dt.date) -> Self:
        return self.filter(active_on_q(date))

    def overlapping(self, start: dt.date, end: dt.date | None) -> Self:
        return self.filter(overlapping_q(start, end))


class EffectiveDated(models.Model):
    """Abstract base for history that is ended, never overwritten."""

    valid_from = models.DateField(_("valid from"), db_index=True)
    valid_to = models.DateField(
        _("valid to (exclusive)"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_("The first day on which this no longer holds; empty while open-ended."),
    )

    # Each concrete model declares ``objects = <its EffectiveQuerySet subclass>.as_manager()``.

    class Meta:
        abstract = True

    def is_active_on(self, date: dt.date) -> bool:
        return self.valid_from <= date and (self.valid_to is None or self.valid_to > date)

    @property
    def last_day(self) -> dt.date | None:
        return last_day(self.valid_to)

    @classmethod
    def interval_constraint(cls, name: str) -> models.CheckConstraint:
        return models.CheckConstraint(
            condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
            name=name,
        )
