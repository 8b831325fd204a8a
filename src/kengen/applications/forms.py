from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kengen.applications.choices import LineAction
from kengen.core.bounds import TEXT_AREA_MAX
from kengen.core.forms import EraDateField
from kengen.grants.choices import Purpose


class ApplicationForm(forms.Form):
    """Form 1 as a busy section head fills it in: who, which permissions, from when, why."""

    action = forms.ChoiceField(
        label=_("Register or cancel"),
        choices=LineAction.choices,
        initial=LineAction.REGISTER,
        widget=forms.RadioSelect,
    )
    people = forms.TypedMultipleChoiceField(
        label=_("People"), coerce=int, widget=forms.CheckboxSelectMultiple
    )
    permissions = forms.TypedMultipleChoiceField(
        label=_("Permissions"), coerce=int, widget=forms.CheckboxSelectMultiple
    )
    valid_from = EraDateField(label=_("From"))
    last_day = EraDateField(
        label=_("Until (last day)"),
        required=False,
        help_text=_(
            "Leave empty for no end. Fixed-term staff: at most the last day of the appointment (Art. 7)."
        ),
    )
    purpose = forms.ChoiceField(
        label=_("Purpose (Art. 10)"),
        choices=Purpose.choices,
        initial=Purpose.DUTIES,
        widget=forms.RadioSelect,
    )
    purpose_note = forms.CharField(
        label=_("Purpose details"),
        required=False,
        max_length=300,
        help_text=_("Required for another purpose: what you approve it for."),
    )
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=TEXT_AREA_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )
    organization = forms.TypedChoiceField(label=_("Applying unit"), coerce=int)

    def __init__(self, *args, people=(), permissions=(), units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["people"].choices = people
        self.fields["permissions"].choices = permissions
        self.fields["organization"].choices = units
        if len(units) == 1:
            self.fields["organization"].widget = forms.HiddenInput()
            self.fields["organization"].initial = units[0][0]

    def clean(self):
        data = super().clean()
        start, last = data.get("valid_from"), data.get("last_day")
        if start and last and last < start:
            self.add_error("last_day", _("The last day cannot come before the first."))
        if data.get("purpose") == Purpose.OTHER and not (data.get("purpose_note") or "").strip():
            self.add_error("purpose_note", _("Say what the other purpose is (Art. 10(3))."))
        return data


class NetworkRegistrationForm(forms.Form):
    filed_on = EraDateField(label=_("Filed on"))
    reference = forms.CharField(label=_("Reference (number of the registration application)"), max_length=100)
