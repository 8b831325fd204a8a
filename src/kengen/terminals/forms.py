from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class DateTimeInput(forms.DateTimeInput):
    """A native date-and-time picker (``<input type="datetime-local">``)."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs={"class": "kg-input", **(attrs or {})}, format="%Y-%m-%dT%H:%M")


class ScheduleForm(forms.Form):
    """A6.4: where and when the person enrols (designated by the two-factor administrator)."""

    place = forms.CharField(label=_("Place of enrolment"), max_length=200)
    appointment_at = forms.DateTimeField(label=_("Appointment (date and time)"), widget=DateTimeInput)


class CompleteForm(forms.Form):
    """A6.4: the person enrolled (no biometric data is ever recorded here)."""

    completed_at = forms.DateTimeField(
        label=_("Enrolled at"),
        required=False,
        widget=DateTimeInput,
        help_text=_("Leave empty for now."),
    )


STATUS_CHOICES = [
    ("", _("All")),
    ("pending", _("Pending")),
    ("done", _("Enrolled")),
]
