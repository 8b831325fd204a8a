"""The people list's rows rendered in Python (issue 10): the same markup ``people/_results.html``
drew with ``{% for %}``, about half the page's CPU as a template loop. Every value is escaped."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from kengen.people.choices import PersonKind
from kengen.people.models import Appointment, Person

_PK = 987654321  # a placeholder in the detail URL, reversed once per page


def _labels(model: Any, field: str) -> dict[str, str]:
    """What ``get_<field>_display`` shows for each value, in the active language."""
    return {str(value): str(label) for value, label in model._meta.get_field(field).flatchoices}


def person_rows(people: Iterable) -> SafeString:
    """``<tr>`` per person (with ``units_on_date``, ``appointments_on_date`` set by the view)."""
    detail = reverse("people:detail", args=[_PK])
    # The fields' labels looked up once a page (``get_FOO_display`` normalizes the choices per call).
    kinds = _labels(Person, "kind")
    employment_types = _labels(Appointment, "employment_type")
    out: list[str] = []
    for p in people:
        if p.kind == PersonKind.MAINTENANCE:
            employment: str = escape(kinds.get(p.kind, p.kind))
            if p.contractor:
                employment += f" ({escape(p.contractor.name)})"
        else:
            parts = []
            for ap in p.appointments_on_date:
                label: str = escape(employment_types.get(ap.employment_type, ap.employment_type))
                parts.append(
                    f'<span class="kg-badge kg-badge--warning">{label}</span>' if ap.is_fiscal_year else label
                )
            employment = (
                "".join(parts) or f'<span class="kg-muted">{escape(_("Not employed on this date"))}</span>'
            )
        units = []
        for a, unit in p.units_on_date:
            cell = f"{escape(unit)} {escape(a.post.name)}"
            if not a.is_primary:
                cell += f' <span class="kg-badge kg-badge--neutral">{escape(_("Concurrent"))}</span>'
            units.append(cell)
        assigned = (
            "<br>".join(units) or f'<span class="kg-muted">{escape(_("Not assigned on this date"))}</span>'
        )
        out.append(
            "\n    <tr>\n"
            f'      <th scope="row"><a href="{escape(detail.replace(str(_PK), str(p.pk)))}">'
            f"{escape(p.full_name)}</a></th>\n"
            f'      <td class="kg-small">{escape(p.full_name_kana)}</td>\n'
            f"      <td>{escape(p.staff_number) if p.staff_number else '—'}</td>\n"
            f"      <td>{employment}</td>\n"
            f"      <td>{assigned}</td>\n"
            "    </tr>\n  "
        )
    if not out:
        out.append(f'\n    <tr><td colspan="5">{escape(_("Nobody matches."))}</td></tr>\n  ')
    return mark_safe("".join(out))
