"""The systems list's rows rendered in Python (issue 10): the same markup ``systems/list.html``
drew with ``{% for %}``. Every value is escaped."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

_PK = 987654321  # a placeholder in the detail URL, reversed once per page


def system_rows(rows: Iterable[dict[str, Any]], date: dt.date) -> SafeString:
    """``<tr>`` per row (``system``, ``owner``, ``administrators``) of one kind's table."""
    detail = reverse("systems:detail", args=[_PK])
    on = f"?on={date:%Y-%m-%d}"
    vacant = f'<span class="kg-badge kg-badge--warning">{escape(_("Vacant"))}</span>'
    handles = f'<span class="kg-badge kg-badge--error">{escape(_("Handles"))}</span>'
    not_handled = '<span class="kg-muted">—</span>'
    out: list[str] = []
    for row in rows:
        system = row["system"]
        parent = (
            f' <span class="kg-muted kg-small">({escape(system.parent.name)})</span>' if system.parent else ""
        )
        administrators = "、".join(escape(p.full_name) for p in row["administrators"]) or vacant
        out.append(
            "\n    <tr>\n"
            f'      <th scope="row"><a href="{escape(detail.replace(str(_PK), str(system.pk)))}{on}">'
            f"{escape(system.name)}</a>{parent}</th>\n"
            f"      <td><code>{escape(system.code)}</code></td>\n"
            f"      <td>{escape(row['owner'])}</td>\n"
            f"      <td>{administrators}</td>\n"
            f"      <td>{handles if system.handles_specific_personal_info else not_handled}</td>\n"
            "    </tr>\n  "
        )
    return mark_safe("".join(out))
