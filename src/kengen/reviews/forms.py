from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kengen.core.forms import EraDateField
from kengen.reviews.choices import CampaignKind, Decision
from kengen.systems.models import System


class CampaignForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=CampaignKind.choices)
    systems = forms.ModelMultipleChoiceField(label=_("Systems"), queryset=System.objects.none())
    as_of = EraDateField(label=_("As of"))
    deadline = EraDateField(label=_("Deadline"))
    remind_days = forms.IntegerField(
        label=_("Remind days before the deadline"), min_value=0, max_value=90, initial=7
    )
    repeat_months = forms.IntegerField(
        label=_("Repeat every (months, optional)"), min_value=1, max_value=60, required=False
    )

    def __init__(self, *args, systems=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["systems"].queryset = systems if systems is not None else System.objects.none()


class DecisionForm(forms.Form):
    item = forms.IntegerField(min_value=1, max_value=2**62)
    decision = forms.ChoiceField(choices=Decision.choices)
    reason = forms.CharField(max_length=300, required=False)
    correct_to = EraDateField(required=False)


class RerunForm(forms.Form):
    deadline = EraDateField(label=_("Deadline"))


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("Scanned, signed check sheet (PDF, PNG, JPEG, TIFF)"))
    section = forms.IntegerField(required=False, min_value=1, max_value=2**62)


class ReconciliationForm(forms.Form):
    system = forms.ModelChoiceField(label=_("System"), queryset=System.objects.none())
    as_of = EraDateField(label=_("As of"))
    file = forms.FileField(label=_("Account list exported by the system (CSV or Excel)"))
    user_id_column = forms.CharField(label=_("Column: user ID"), max_length=100, initial="user_id")
    permissions_column = forms.CharField(
        label=_("Column: permissions"), max_length=100, required=False, initial="permissions"
    )
    separator = forms.CharField(label=_("Permission separator"), max_length=3, required=False, initial=";")
    last_sign_in_column = forms.CharField(
        label=_("Column: last sign-in"), max_length=100, required=False, initial="last_sign_in"
    )
    unused_days = forms.IntegerField(
        label=_("Unused for more than (days)"), min_value=1, max_value=36500, required=False, initial=90
    )

    def __init__(self, *args, systems=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["system"].queryset = systems if systems is not None else System.objects.none()


class FindingForm(forms.Form):
    status = forms.CharField(max_length=20)
    note = forms.CharField(max_length=300, required=False)
