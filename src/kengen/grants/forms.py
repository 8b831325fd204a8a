from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kengen.core.forms import EraDateField
from kengen.people.forms import unit_choices


class FileFilterForm(forms.Form):
    """The management file's filters: as-of date, system, unit, person."""

    on = EraDateField(label=_("As of"), required=False)
    system = forms.TypedChoiceField(label=_("System"), required=False, coerce=int, empty_value=None)
    organization = forms.TypedChoiceField(
        label=_("Unit"), required=False, coerce=int, empty_value=None
    )
    staff_number = forms.CharField(label=_("Staff number"), required=False, max_length=20)
    person = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, systems=(), tree=None, **kwargs):
        super().__init__(*args, **kwargs)
        system_choices: list[tuple[str, str]] = [("", _("All systems"))]
        for s in systems:
            system_choices.append((str(s.id), ("\u3000" if s.parent_id else "") + s.name))
        self.fields["system"].choices = system_choices
        self.fields["organization"].choices = (
            unit_choices(tree) if tree is not None else [("", _("All units"))]
        )
