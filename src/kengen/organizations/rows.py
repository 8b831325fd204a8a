"""The organization chart's rows rendered in Python (issue 10): the same markup
``organizations/_tree_body.html`` drew with ``{% for %}``, about half the page's CPU as a template
loop (a page is rendered afresh after every write its data version counts). Every value is
escaped."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

_PK = 987654321  # a placeholder in the detail URL, reversed once per page


def tree_rows(rows: Iterable[tuple[Any, int, list[Any]]], date: dt.date) -> SafeString:
    """``<tr>`` per ``(unit, depth, heads)`` of the chart."""
    detail = reverse("organizations:detail", args=[_PK])
    on = f"?on={date:%Y-%m-%d}"
    security = f'<span class="kg-badge kg-badge--primary">{escape(_("Yes"))}</span>'
    nobody = '<span class="kg-muted">—</span>'
    out: list[str] = []
    for org, depth, heads in rows:
        out.append(
            f'\n    <tr data-depth="{depth}">\n'
            f'      <th scope="row" class="kg-tree-name"><a href="{escape(detail.replace(str(_PK), str(org.pk)))}{on}">'
            f"{escape(org.name)}</a></th>\n"
            f"      <td><code>{escape(org.code)}</code></td>\n"
            f'      <td class="kg-small">{escape(org.kana)}</td>\n'
            f"      <td>{escape(org.get_kind_display())}</td>\n"
            f"      <td>{security if org.is_security_unit else ''}</td>\n"
            f"      <td>{'、'.join(escape(p.full_name) for p in heads) or nobody}</td>\n"
            "    </tr>\n  "
        )
    if not out:
        out.append(
            f'\n    <tr><td colspan="6">{escape(_("No unit was in force on that date."))}</td></tr>\n  '
        )
    return mark_safe("".join(out))
