from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kengen.core.forms import EraDateField, FastSelect
from kengen.people.choices import EmploymentType


def unit_choices(tree, only: set[int] | None = None) -> list[tuple[str, str]]:
    """Units in force on the tree's date, indented by depth, for a ``<select>``; with ``only``
    (``core.scope.units_in_scope``) just those units, indented from the shallowest of them."""
    units = [(o, depth) for o, depth in tree.walk() if only is None or o.id in only]
    top = min((depth for _, depth in units), default=0)
    return [("", _("All units"))] + [(str(o.id), "\u3000" * (depth - top) + o.name) for o, depth in units]


class PersonSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Name, kana or staff number"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    unit = forms.TypedChoiceField(
        label=_("Unit"), required=False, coerce=int, empty_value=None, widget=FastSelect
    )
    employment = forms.ChoiceField(
        label=_("Employment"),
        required=False,
        widget=FastSelect,
        choices=[
            ("", _("Everyone")),
            *EmploymentType.choices,
            ("maintenance", _("Maintenance staff (contractor)")),
        ],
    )
    on = EraDateField(label=_("As of"), required=False)

    def __init__(self, *args, tree=None, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = (
            unit_choices(tree, units) if tree is not None else [("", _("All units"))]
        )
