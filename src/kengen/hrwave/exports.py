"""The preview of an HR list as the UI and the API show it: the totals per category (labelled), the
lines per person (a queryset, paged in the database) and the Excel download (streamed)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kengen.core.exports import Table
from kengen.hrwave.choices import WaveAction
from kengen.hrwave.models import WaveImport, WaveLine

TOTALS = (
    ("joiners", gettext_lazy("Joiners")),
    ("movers", gettext_lazy("Movers")),
    ("leavers", gettext_lazy("Leavers")),
    ("reappointed", gettext_lazy("Reappointed")),
    ("already_done", gettext_lazy("Already in effect (nothing to do)")),
    ("roles_gained", gettext_lazy("Roles gained (A3, A4)")),
    ("roles_lost", gettext_lazy("Roles lost (A3, A4)")),
    ("direct_revocations", gettext_lazy("Direct grants revoked (A5.5)")),
    ("newly_eligible", gettext_lazy("Newly eligible for a direct grant (A5.5, offered)")),
    ("form1_flags", gettext_lazy("Form 1 grants whose holder leaves the applying section (A4)")),
    ("appointment_caps", gettext_lazy("Grants ending with the appointment (A7)")),
    ("network_registrations", gettext_lazy("Network user registrations needed (A5.3)")),
    ("sign_ins_to_disable", gettext_lazy("Kengen sign-ins to disable")),
    ("officers_to_notify", gettext_lazy("Security officers to notify")),
    ("notifications", gettext_lazy("Notifications")),
)

#: What the preview's lines can be narrowed to: an action (people still to change) or the lines
#: with consequences.
LINE_FILTERS = (*WaveAction.values, "consequences")


def preview_totals(wave: WaveImport) -> list[tuple[str, str, int]]:
    """(key, label, count) for every category, in the order the preview shows them."""
    return [(key, str(label), int(wave.totals.get(key, 0))) for key, label in TOTALS]


def preview_lines(user: Any, wave: WaveImport, show: str = "") -> QuerySet[WaveLine]:
    """The preview's lines the user may see, in file order; ``show`` narrows them
    (``LINE_FILTERS``; anything else shows every line)."""
    lines = WaveLine.objects.restrict(user, "view").filter(wave=wave).order_by("row_no", "id")
    if show in WaveAction.values:
        return lines.filter(action=show, already_done=False)
    if show == "consequences":
        return lines.exclude(consequences="")
    return lines


def preview_table(user: Any, wave: WaveImport) -> Table:
    """The preview as a table: the totals, then one line per person (read in chunks)."""
    labels = dict(WaveAction.choices)

    def rows() -> Iterator[list[Any]]:
        for _key, label, value in preview_totals(wave):
            yield ["", "", _("Total"), label, value, "", "", ""]
        for line in preview_lines(user, wave).iterator(chunk_size=2000):
            yield [
                line.row_no,
                line.staff_number,
                line.name,
                str(labels.get(line.action, line.action)) + (" ✓" if line.already_done else ""),
                line.effective_on,
                line.before,
                line.after,
                line.consequences,
            ]

    return Table(
        title=_("HR list preview"),
        headers=[
            _("Row"),
            _("Staff number"),
            _("Name"),
            _("Action"),
            _("Effective date"),
            _("Before"),
            _("After"),
            _("Consequences"),
        ],
        rows=rows(),
    )
