"""``{% permission_matrix form.permissions as m %}``: the permission checkboxes of COKAS-R/ADⅡ as
a table (business systems × permissions) instead of one long list."""

from __future__ import annotations

from dataclasses import dataclass, field

from django import template

register = template.Library()


@dataclass
class Matrix:
    columns: list[str] = field(default_factory=list)
    rows: list[tuple[str, list]] = field(default_factory=list)  # (group label, [subwidget | None])


@register.simple_tag
def permission_matrix(bound_field) -> Matrix | None:
    """``None`` when the choices are not grouped (a system without business systems)."""
    choices = list(bound_field.field.choices)
    if not choices or not isinstance(choices[0][1], list | tuple):
        return None
    widgets = {str(w.data["value"]): w for w in bound_field.subwidgets}
    matrix = Matrix()
    for _group, options in choices:
        for _value, label in options:
            if label not in matrix.columns:
                matrix.columns.append(label)
    for group, options in choices:
        by_label = {label: widgets.get(str(value)) for value, label in options}
        matrix.rows.append((group, [by_label.get(c) for c in matrix.columns]))
    return matrix
