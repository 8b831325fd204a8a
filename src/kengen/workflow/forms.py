from django import forms
from django.utils.translation import gettext_lazy as _


class RejectForm(forms.Form):
    """The deciding side's reason for rejecting an application (every form)."""

    reason = forms.CharField(label=_("Reason for rejection"), widget=forms.Textarea(attrs={"rows": 3}))
