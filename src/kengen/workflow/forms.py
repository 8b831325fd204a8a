from django import forms
from django.utils.translation import gettext_lazy as _

from kengen.core.bounds import TEXT_AREA_MAX


class RejectForm(forms.Form):
    """The deciding side's reason for rejecting an application (every form)."""

    reason = forms.CharField(
        label=_("Reason for rejection"), max_length=TEXT_AREA_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )
