from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kengen.core.forms import EraDateField, FastSelect
from kengen.grants.choices import EndReason, Purpose
from kengen.people.forms import unit_choices


class FileFilterForm(forms.Form):
    """The management file's filters: as-of date, system, unit, person."""

    on = EraDateField(label=_("As of"), required=False)
    system = forms.TypedChoiceField(
        label=_("System"), required=False, coerce=int, empty_value=None, widget=FastSelect
    )
    organization = forms.TypedChoiceField(
        label=_("Unit"), required=False, coerce=int, empty_value=None, widget=FastSelect
    )
    staff_number = forms.CharField(label=_("Staff number"), required=False, max_length=20)
    person = forms.IntegerField(required=False, widget=forms.HiddenInput)
    ending_by = EraDateField(
        label=_("Last day on or before"),
        required=False,
        help_text=_("Only the permissions that end by this day."),
    )
    fiscal_year = forms.BooleanField(label=_("Fiscal-year appointees only"), required=False)

    def __init__(self, *args, systems=(), tree=None, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        system_choices: list[tuple[str, str]] = [("", _("All systems"))]
        for s in systems:
            system_choices.append((str(s.id), ("\u3000" if s.parent_id else "") + s.name))
        self.fields["system"].choices = system_choices
        self.fields["organization"].choices = (
            unit_choices(tree, units) if tree is not None else [("", _("All units"))]
        )


def permission_choices(system, on) -> list:
    """The permissions ``system`` offers on ``on``, grouped by business system for the core
    package (「個人住民税」→ 照会 / 更新 …), as choices for a checkbox list."""
    from kengen.systems.models import SystemPermission

    members = [system, *system.business_systems.as_of(on).order_by("sort_order", "code")]
    perms = (
        SystemPermission.objects.filter(is_active=True, system__in=members)
        .select_related("system")
        .order_by("system__sort_order", "system__code", "sort_order", "code")
    )
    groups: dict[int, list[tuple[int, str]]] = {}
    for p in perms:
        groups.setdefault(p.system_id, []).append((p.pk, p.name))
    if set(groups) <= {system.id}:  # no business systems: a plain list
        return groups.get(system.id, [])
    return [(s.name, groups[s.id]) for s in members if s.id in groups]


DIRECT_PURPOSES = [(Purpose.DUTIES, Purpose.DUTIES.label), (Purpose.TRAINING, Purpose.TRAINING.label)]


class DirectGrantForm(forms.Form):
    """A5.5: what the core / intermediate-server administrator grants a 別表第2 person."""

    permissions = forms.TypedMultipleChoiceField(
        label=_("Permissions"), coerce=int, widget=forms.CheckboxSelectMultiple
    )
    valid_from = EraDateField(label=_("From"))
    last_day = EraDateField(
        label=_("Until (last day)"),
        required=False,
        help_text=_("Leave empty for no end."),
    )
    user_id = forms.CharField(
        label=_("User ID"),
        required=False,
        max_length=64,
        help_text=_(
            "The staff number unless you change it. Not used when the person already holds a user ID on "
            "this system."
        ),
    )
    purpose = forms.ChoiceField(
        label=_("Purpose (Art. 10)"),
        choices=DIRECT_PURPOSES,
        initial=Purpose.DUTIES,
        widget=forms.RadioSelect,
        help_text=_("Another purpose needs the security officer's approval: apply on Form 1 instead."),
    )
    purpose_note = forms.CharField(label=_("Purpose details"), required=False, max_length=300)

    def __init__(self, *args, permissions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["permissions"].choices = permissions

    def clean(self):
        data = super().clean()
        start, last = data.get("valid_from"), data.get("last_day")
        if start and last and last < start:
            self.add_error("last_day", _("The last day cannot come before the first."))
        return data


TRANSFER_REASONS = [
    (EndReason.TRANSFER, EndReason.TRANSFER.label),
    (EndReason.RETIREMENT, EndReason.RETIREMENT.label),
]


class RevokeTransferForm(forms.Form):
    """A5.5: end a person's direct grants after a transfer or retirement."""

    system = forms.TypedChoiceField(label=_("System"), coerce=int)
    on = EraDateField(
        label=_("Date of the transfer or retirement"),
        help_text=_("The permissions no longer hold from this day."),
    )
    reason = forms.ChoiceField(
        label=_("Reason"), choices=TRANSFER_REASONS, initial=EndReason.TRANSFER, widget=forms.RadioSelect
    )

    def __init__(self, *args, systems=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["system"].choices = [(s.pk, s.name) for s in systems]
        if len(systems) == 1:
            self.fields["system"].widget = forms.HiddenInput()


class BreachDeletionForm(forms.Form):
    """A5.7: delete a user ID, or some of its permissions, for a breach of Art. 69(1)."""

    WHOLE_ID = "id"
    SOME = "permissions"

    what = forms.ChoiceField(
        label=_("What to delete"),
        choices=[
            (WHOLE_ID, _("The whole user ID and all its permissions")),
            (SOME, _("Only the permissions chosen below")),
        ],
        initial=WHOLE_ID,
        widget=forms.RadioSelect,
    )
    grants = forms.TypedMultipleChoiceField(
        label=_("Permissions to delete"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    reason = forms.CharField(
        label=_("Breach found (Art. 69(1) of the Act on the Protection of Personal Information)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=300,
        help_text=_("What the user did. The security officer is told this reason (Art. 5(8))."),
    )
    on = EraDateField(
        label=_("Takes effect on"), help_text=_("The user ID or permissions no longer hold from this day.")
    )

    def __init__(self, *args, grants=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grants"].choices = grants

    def clean(self):
        data = super().clean()
        if data.get("what") == self.SOME and not data.get("grants"):
            self.add_error("grants", _("Choose the permissions to delete."))
        if not (data.get("reason") or "").strip() and "reason" not in self.errors:
            self.add_error("reason", _("State the breach that justifies the deletion."))
        return data


class MaintenanceAccountForm(forms.Form):
    """A5.9: a maintenance staff member's user ID and permissions, always with an end."""

    person = forms.TypedChoiceField(
        label=_("Maintenance staff"),
        coerce=int,
        error_messages={
            "invalid_choice": _(
                "Only the staff of an active contract covering this system can be registered "
                "(Art. 5(9), Art. 8(8)): add them to the contract first."
            )
        },
    )
    user_id = forms.CharField(label=_("User ID"), max_length=64)
    permissions = forms.TypedMultipleChoiceField(
        label=_("Permissions"), coerce=int, widget=forms.CheckboxSelectMultiple
    )
    valid_from = EraDateField(label=_("From"))
    last_day = EraDateField(
        label=_("Until (last day)"),
        help_text=_(
            "Maintenance staff permissions always end (Art. 5(9)), at the latest when the contract does."
        ),
    )
    note = forms.CharField(
        label=_("Contract or work"),
        required=False,
        max_length=100,
        help_text=_("For example the contract name or number; kept with the permissions."),
    )

    def __init__(self, *args, people=(), permissions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [("", "—"), *people]
        self.fields["permissions"].choices = permissions

    def clean(self):
        data = super().clean()
        start, last = data.get("valid_from"), data.get("last_day")
        if start and last and last < start:
            self.add_error("last_day", _("The last day cannot come before the first."))
        return data


ACCOUNT_END_REASONS = [
    (EndReason.CANCELLED, EndReason.CANCELLED.label),
    (EndReason.EXPIRED, EndReason.EXPIRED.label),
    (EndReason.CORRECTION, EndReason.CORRECTION.label),
]


class AccountEndForm(forms.Form):
    """End a user ID and every permission it holds (A5.9 deletion of a maintenance ID)."""

    on = EraDateField(label=_("Takes effect on"), help_text=_("The user ID no longer holds from this day."))
    reason = forms.ChoiceField(label=_("Reason"), choices=ACCOUNT_END_REASONS, initial=EndReason.CANCELLED)


class MatrixFilterForm(forms.Form):
    """The per-person view's filters: as-of date and unit (only the units in the user's scope)."""

    on = EraDateField(label=_("As of"), required=False)
    organization = forms.TypedChoiceField(
        label=_("Unit"), required=False, coerce=int, empty_value=None, widget=FastSelect
    )

    def __init__(self, *args, tree=None, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = (
            unit_choices(tree, units) if tree is not None else [("", _("All units"))]
        )
