from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kengen.core.forms import EraDateField


class EligibilityCheckForm(forms.Form):
    """Is this member of staff eligible for a direct grant (A5.5) on a date?"""

    staff_number = forms.CharField(label=_("Staff number"), max_length=20)
    date = EraDateField(label=_("Date"), required=False, help_text=_("Today if left empty."))
