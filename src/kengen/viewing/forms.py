from __future__ import annotations

from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from kengen.core.forms import EraDateField


class ViewingRequestForm(forms.Form):
    holder_organization = forms.TypedChoiceField(
        label=_("Unit whose terminals you need to view"),
        coerce=int,
    )
    purpose = forms.CharField(
        label=_("For which of your duties"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Art. 11(1): viewing is for carrying out your own duties."),
    )
    viewer_staff_number = forms.CharField(
        label=_("Viewer's staff number"),
        max_length=20,
        required=False,
        help_text=_(
            "Security officers recording a request made in person: the viewer's staff number. "
            "Leave empty to ask for yourself."
        ),
    )

    def __init__(self, *args, units=(), officer: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["holder_organization"]).choices = units
        if not officer:
            del self.fields["viewer_staff_number"]


class LendForm(forms.Form):
    account = forms.TypedChoiceField(label=_("Viewing user ID to lend"), coerce=int)

    def __init__(self, *args, accounts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = accounts


class RefuseForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))


class ViewingIdForm(forms.Form):
    system = forms.TypedChoiceField(label=_("System"), coerce=int)
    user_id = forms.CharField(label=_("Viewing user ID"), max_length=64)
    holder_organization = forms.TypedChoiceField(label=_("Unit whose terminals it is for"), coerce=int)
    permissions = forms.TypedMultipleChoiceField(
        label=_("Permissions"), coerce=int, widget=forms.CheckboxSelectMultiple
    )
    valid_from = EraDateField(label=_("From"))
    reference = forms.CharField(label=_("Reference (application)"), max_length=100, required=False)

    def __init__(self, *args, systems=(), units=(), permissions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["system"].choices = systems
        self.fields["holder_organization"].choices = units
        self.fields["permissions"].choices = permissions
