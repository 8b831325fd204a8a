"""Is this person eligible for a direct grant (A5.5) on a date?"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kengen.eligibility.choices import EntryScope
from kengen.eligibility.models import EligibilityEntry
from kengen.organizations.selectors import OrgTree
from kengen.people.models import Person


@dataclass(frozen=True)
class Eligibility:
    """The answer and the reason, in words an administrator can act on."""

    eligible: bool
    reason: str
    entry: EligibilityEntry | None = None

    def __bool__(self) -> bool:
        return self.eligible


def join_units(names: list[str]) -> str:
    """人事係及び給与係 / A、B及びC: how the regulation joins the units a qualifier names."""
    if len(names) <= 1:
        return "".join(names)
    return "、".join(names[:-1]) + "及び" + names[-1]


def render_entry(entry: EligibilityEntry, tree: OrgTree) -> str:
    """The line as the regulation prints it, rebuilt from the data."""
    name = tree.full_name(entry.organization_id)
    if entry.scope == EntryScope.ALL:
        return name
    units = join_units([u.name for u in sorted(entry.units.all(), key=lambda u: (u.sort_order, u.code))])
    suffix = "に限る。" if entry.scope == EntryScope.ONLY else "を除く。"
    return f"{name}({units}{suffix})"


def table2_as_of(date: dt.date) -> QuerySet[EligibilityEntry]:
    return EligibilityEntry.objects.as_of(date).select_related("organization").prefetch_related("units")


def entry_covers(entry: EligibilityEntry, org_id: int, tree: OrgTree) -> bool:
    """Does the entry make members of unit ``org_id`` eligible?"""
    covered = tree.descendant_ids([entry.organization_id])
    if org_id not in covered:
        return False
    named = tree.descendant_ids([u.id for u in entry.units.all()])
    if entry.scope == EntryScope.ONLY:
        return org_id in named
    if entry.scope == EntryScope.EXCEPT:
        return org_id not in named
    return True


def direct_grant_eligibility(person: Person, date: dt.date) -> Eligibility:
    """A5.5: eligible when, on ``date``, the person is not a fiscal-year appointee and holds an
    assignment in a unit a 別表第2 entry covers (respecting 「…に限る」/「…を除く」)."""
    appointment = person.appointment_on(date)
    if appointment is None:
        return Eligibility(False, _("%(name)s has no appointment on that date.") % {"name": person.full_name})
    if appointment.is_fiscal_year:
        return Eligibility(
            False,
            _(
                "Fiscal-year appointees (会計年度任用職員) cannot be granted directly (A5.5); "
                "their security officer applies on Form 1."
            ),
        )
    tree = OrgTree(date)
    entries = list(table2_as_of(date))
    assignments = list(person.assignments_on(date))
    if not assignments:
        return Eligibility(False, _("%(name)s has no assignment on that date.") % {"name": person.full_name})
    for a in assignments:
        for entry in entries:
            if entry_covers(entry, a.organization_id, tree):
                return Eligibility(
                    True,
                    _("%(unit)s is covered by Table 2: %(entry)s")
                    % {
                        "unit": tree.full_name(a.organization_id),
                        "entry": entry.listed_as,
                    },
                    entry,
                )
    units = "、".join(
        tree.full_name(a.organization_id) for a in assignments if a.organization_id in tree.by_id
    )
    return Eligibility(False, _("%(units)s is not covered by Table 2 on that date.") % {"units": units})


def entries_covering(org_id: int, date: dt.date, tree: OrgTree | None = None) -> list[EligibilityEntry]:
    """The 別表第2 lines in force on ``date`` that make members of unit ``org_id`` eligible."""
    tree = tree or OrgTree(date)
    if org_id not in tree.by_id:
        return []
    return [e for e in table2_as_of(date) if entry_covers(e, org_id, tree)]
