"""Amending 別表第2: entries start and end on the date an amendment takes effect (AS)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from kengen.audit.choices import AuditAction
from kengen.audit.services import audit_record
from kengen.core.exceptions import Conflict, RuleViolation
from kengen.core.permissions import require_configurator
from kengen.core.types import Actor
from kengen.eligibility.choices import EntryScope
from kengen.eligibility.models import EligibilityEntry
from kengen.eligibility.selectors import render_entry
from kengen.organizations.models import Organization
from kengen.organizations.selectors import OrgTree


@transaction.atomic
def eligibility_entry_create(
    *,
    actor: Actor,
    organization: Organization,
    valid_from: dt.date,
    scope: str = EntryScope.ALL,
    units: Sequence[Organization] = (),
    listed_as: str = "",
    source: str = "",
    sort_order: int = 0,
) -> EligibilityEntry:
    """Add a line to 別表第2 from ``valid_from``. ``listed_as`` defaults to the rendered line; when
    given it must match what the data says, so the table cannot drift from the regulation."""
    require_configurator(actor)
    if scope not in EntryScope.values:
        raise RuleViolation(
            _("Unknown qualifier %(scope)s.") % {"scope": scope}, clause="A5.5", field="scope"
        )
    if (scope == EntryScope.ALL) != (len(units) == 0):
        raise RuleViolation(
            _("A qualifier (限る/除く) needs the units it names, and only a qualified entry names units."),
            clause="A5.5",
            field="units",
        )
    tree = OrgTree(valid_from)
    if organization.id not in tree.by_id:
        raise RuleViolation(
            _("%(org)s is not in force on that date.") % {"org": organization.name}, clause="AS"
        )
    below = tree.descendant_ids([organization.id], include_self=False)
    for unit in units:
        if unit.id not in below:
            raise RuleViolation(
                _("%(unit)s is not a unit of %(org)s.") % {"unit": unit.name, "org": organization.name},
                clause="A5.5",
                field="units",
            )
    entry = EligibilityEntry.objects.create(
        organization=organization,
        scope=scope,
        valid_from=valid_from,
        source=source,
        sort_order=sort_order,
        listed_as=listed_as or organization.name,
    )
    entry.units.set(units)
    rendered = render_entry(entry, tree)
    if listed_as and listed_as != rendered:
        raise RuleViolation(
            _("The line %(listed)s does not match the data, which reads %(rendered)s.")
            % {"listed": listed_as, "rendered": rendered},
            clause="AS",
            field="listed_as",
        )
    entry.listed_as = rendered
    entry.save(update_fields=["listed_as"])
    audit_record(
        actor=actor,
        action=AuditAction.ELIGIBILITY_ENTRY_CREATED,
        target=entry,
        new={
            "listed_as": rendered,
            "scope": scope,
            "units": [u.pk for u in units],
            "valid_from": valid_from,
            "source": source,
        },
    )
    return entry


@transaction.atomic
def eligibility_entry_end(
    *, actor: Actor, entry: EligibilityEntry, on: dt.date, source: str = ""
) -> EligibilityEntry:
    require_configurator(actor)
    e = EligibilityEntry.objects.select_for_update().get(pk=entry.pk)
    if e.valid_to is not None and e.valid_to <= on:
        raise Conflict(_("This entry already ended."))
    if on < e.valid_from:
        raise RuleViolation(_("An entry cannot end before it starts."), clause="AS")
    e.valid_to = on
    e.save(update_fields=["valid_to"])
    audit_record(
        actor=actor,
        action=AuditAction.ELIGIBILITY_ENTRY_ENDED,
        target=e,
        new={"valid_to": on, "source": source},
    )
    return e
