from __future__ import annotations

import math

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kengen.users.backends import THROTTLED_ATTR


class SignInForm(AuthenticationForm):
    """Django's sign-in form with Kengen's labels and autocomplete hints.

    After repeated failures the backend refuses the name or the address for a while; the form then
    says how long to wait instead of "wrong name or password".
    """

    def get_invalid_login_error(self):
        wait = getattr(self.request, THROTTLED_ATTR, 0) if self.request is not None else 0
        if wait:
            return ValidationError(
                _("Too many failed sign-ins. Try again in %(wait)s.") % {"wait": wait_text(wait)},
                code="throttled",
            )
        return super().get_invalid_login_error()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Sign-in name")
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autocapitalize": "none"})
        self.fields["password"].label = _("Password")
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("What the token is for, e.g. the name of the system that will use it."),
    )
    expires_in_days = forms.TypedChoiceField(
        label=_("Valid for"),
        coerce=int,
        choices=[(30, _("30 days")), (90, _("90 days")), (180, _("180 days")), (365, _("1 year"))],
        initial=90,
    )


def wait_text(seconds: int) -> str:
    minutes = math.ceil(seconds / 60)
    if seconds < 60:
        return ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds}
    return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}


class CodeForm(forms.Form):
    """A code from an authenticator app, or a recovery code."""

    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "none",
                "spellcheck": "false",
                "inputmode": "text",
                "class": "kg-input kg-input--code",
            }
        ),
    )


class PasswordChangeForm(forms.Form):
    """The signed-in person's own password: the current one, then the new one twice."""

    current = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new = forms.CharField(
        label=_("New password"),
        strip=False,
        help_text=_(
            "At least 12 characters. A phrase of several words is easy to remember and hard to guess; "
            "not a common password, not your sign-in name, your name or the city's name (Art. 8(6))."
        ),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    again = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("new") and data.get("again") is not None and data["new"] != data["again"]:
            self.add_error("again", _("The two new passwords are not the same."))
        return data
