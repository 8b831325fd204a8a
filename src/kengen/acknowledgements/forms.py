from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kengen.acknowledgements.choices import AcknowledgementStatus
from kengen.core.forms import EraDateField


class AcknowledgeForm(forms.Form):
    text_version = forms.CharField(widget=forms.HiddenInput, max_length=20)
    agree = forms.BooleanField(
        label=_("I have read the duties above and will observe them."),
        required=True,
        error_messages={"required": _("Tick the box to confirm that you will observe the duties.")},
    )


class StatusFilterForm(forms.Form):
    unit = forms.TypedChoiceField(label=_("Unit"), required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *AcknowledgementStatus.choices]
    )
    on = EraDateField(label=_("As of"), required=False)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", _("All my units"))] + [(str(i), name) for i, name in units]
