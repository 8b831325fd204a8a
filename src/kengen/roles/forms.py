"""Designating a role that does not follow a post (auditor, configuration administrator, 人事担当)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from kengen.core.forms import WarekiDateField
from kengen.roles.choices import DesignatedRoleKind


class DesignationForm(forms.Form):
    username = forms.CharField(
        label=_("User name"),
        max_length=150,
        help_text=_("The Kengen sign-in of the person who takes the role."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=DesignatedRoleKind.choices)
    valid_from = WarekiDateField(label=_("From"))
    last_day = WarekiDateField(
        label=_("Last day"), required=False, help_text=_("Leave empty for a designation without an end.")
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=200, required=False, help_text=_("e.g. the order (辞令) or decision.")
    )

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise forms.ValidationError(_("No Kengen sign-in has that user name."), code="unknown")
        if not user.is_active:
            raise forms.ValidationError(_("That sign-in is disabled."), code="inactive")
        self.user = user
        return username

    def clean(self):
        data = super().clean()
        start, last = data.get("valid_from"), data.get("last_day")
        if start and last and last < start:
            self.add_error("last_day", _("The last day is before the first."))
        return data


class DesignationEndForm(forms.Form):
    last_day = WarekiDateField(label=_("Last day"), help_text=_("The last day the role is held."))
