from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kengen.core.forms import EraDateField
from kengen.credentials.choices import CredentialMode, PasswordApplicationKind, RecordedEvent
from kengen.credentials.passwords import MAX_LENGTH


def _secret(label, autocomplete: str, help_text=""):
    """A password field: never stripped (spaces count), never re-displayed, never truncated."""
    return forms.CharField(
        label=label,
        strip=False,
        max_length=MAX_LENGTH,
        help_text=help_text,
        widget=forms.PasswordInput(
            attrs={"autocomplete": autocomplete, "spellcheck": "false"}, render_value=False
        ),
    )


class PasswordChangeForm(forms.Form):
    current_password = _secret(
        _("Current password"),
        "current-password",
        _("For a temporary password: the one your security officer handed you."),
    )
    new_password = _secret(
        _("New password"),
        "new-password",
        _(
            "At least 12 characters (your system may ask for more). A phrase of several words is easy to "
            "remember and hard to guess. Spaces and Japanese characters are allowed."
        ),
    )
    new_password_confirm = _secret(_("New password (again)"), "new-password")

    def __init__(self, *args, min_length: int = 12, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password"].help_text = _(
            "At least %(n)d characters. A phrase of several words is easy to remember and hard to guess. "
            "Spaces and Japanese characters are allowed; letters in full width count as half width."
        ) % {"n": min_length}

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password") != data.get("new_password_confirm"):
            self.add_error("new_password_confirm", _("The two new passwords differ."))
        return data


class PolicyForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("Passwords held by"), choices=CredentialMode.choices, widget=forms.RadioSelect
    )
    min_length = forms.IntegerField(label=_("Minimum length"), min_value=8, max_value=64)
    max_age_days = forms.IntegerField(label=_("Change every (days, Art. 8(7))"), min_value=1, max_value=3660)
    reminder_days = forms.IntegerField(label=_("Remind before (days)"), min_value=0, max_value=3659)
    history_count = forms.IntegerField(
        label=_("Former passwords that cannot be reused"), min_value=0, max_value=24
    )
    temporary_validity_days = forms.IntegerField(
        label=_("Temporary password valid for (days)"), min_value=1, max_value=90
    )
    min_character_classes = forms.IntegerField(
        label=_("Character classes required"),
        min_value=0,
        max_value=4,
        help_text=_("0 = no composition rule (recommended by NIST SP 800-63B-4 and OWASP ASVS)."),
    )
    lockout_threshold = forms.IntegerField(label=_("Lock after wrong passwords"), min_value=1, max_value=100)


class RecordEventForm(forms.Form):
    event = forms.ChoiceField(
        label=_("What happened in the system"), choices=RecordedEvent.choices, widget=forms.RadioSelect
    )
    occurred_on = EraDateField(label=_("On"), required=False, help_text=_("Leave empty for now."))
    reference = forms.CharField(label=_("Reference"), max_length=100, required=False)


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=pgettext_lazy("thing", "Name"), max_length=100, help_text=_("E.g. the server that will use it.")
    )


class PasswordApplicationForm(forms.Form):
    account = forms.TypedChoiceField(label=_("User ID"), coerce=int)
    kind = forms.ChoiceField(
        label=_("Registration or change"),
        choices=PasswordApplicationKind.choices,
        initial=PasswordApplicationKind.CHANGE,
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Never write a password here."),
    )

    def __init__(self, *args, accounts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = accounts
