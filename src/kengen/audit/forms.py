from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kengen.audit.choices import AuditAction
from kengen.core.forms import EraDateField


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), required=False)
    actor = forms.CharField(label=_("Actor"), required=False, max_length=150)
    target = forms.CharField(label=_("Target"), required=False, max_length=150)
    date_from = EraDateField(label=_("From"), required=False)
    date_to = EraDateField(label=_("To"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("All actions")), *AuditAction.choices]

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def apply(self, events):
        """Narrow an (already restricted) queryset of events by the valid filters."""
        if not self.is_bound or not self.is_valid():
            return events
        d = self.cleaned_data
        if d["action"]:
            events = events.filter(action=d["action"])
        if d["actor"]:
            events = events.filter(
                Q(actor_label__icontains=d["actor"]) | Q(actor__username__iexact=d["actor"])
            )
        if d["target"]:
            events = events.filter(
                Q(target_label__icontains=d["target"]) | Q(application_ref__icontains=d["target"])
            )
        if d["date_from"]:
            events = events.filter(occurred_at__date__gte=d["date_from"])
        if d["date_to"]:
            events = events.filter(occurred_at__date__lte=d["date_to"])
        return events
