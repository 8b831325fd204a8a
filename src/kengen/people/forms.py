from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kengen.core.forms import EraDateField
from kengen.people.choices import EmploymentType


def unit_choices(tree) -> list[tuple[str, str]]:
    """Units in force on the tree's date, indented by depth, for a ``<select>``."""
    return [("", _("All units"))] + [(str(o.id), "\u3000" * depth + o.name) for o, depth in tree.walk()]


class PersonSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Name, kana or staff number"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    unit = forms.TypedChoiceField(label=_("Unit"), required=False, coerce=int, empty_value=None)
    employment = forms.ChoiceField(
        label=_("Employment"),
        required=False,
        choices=[
            ("", _("Everyone")),
            *EmploymentType.choices,
            ("maintenance", _("Maintenance staff (contractor)")),
        ],
    )
    on = EraDateField(label=_("As of"), required=False)

    def __init__(self, *args, tree=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = unit_choices(tree) if tree is not None else [("", _("All units"))]
