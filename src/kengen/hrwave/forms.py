from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kengen.core.forms import EraDateField
from kengen.hrwave.choices import DEFAULT_MAPPING, WAVE_FIELDS
from kengen.hrwave.models import ColumnMapping


class UploadForm(forms.Form):
    """The HR list, its date and the column mapping to read it with."""

    file = forms.FileField(label=_("HR list (CSV in CP932 or UTF-8, or Excel .xlsx)"))
    effective_on = EraDateField(label=_("Effective date"))
    mapping = forms.ModelChoiceField(
        ColumnMapping.objects.order_by("name"),
        label=_("Column mapping"),
        required=False,
        empty_label=_("Default (職員番号, 氏, 名 …)"),
    )


FIELD_LABELS = {
    "staff_number": _("Staff number"),
    "family_name": _("Family name"),
    "given_name": _("Given name"),
    "family_name_kana": _("Family name (kana)"),
    "given_name_kana": _("Given name (kana)"),
    "organization": _("Organization code or name"),
    "post": _("Post code or name"),
    "employment_type": _("Employment type"),
    "appointment_from": _("Appointment from"),
    "appointment_to": _("Appointment to (last day)"),
    "effective_on": _("Effective date"),
    "action": _("Action"),
    "reason": _("End reason"),
    "email": _("Email"),
}


class MappingForm(forms.Form):
    """For each field, the header text of the column that holds it in the city's HR export."""

    name = forms.CharField(label=_("Mapping name"), max_length=100)

    def __init__(self, *args, initial_columns: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        columns = initial_columns or DEFAULT_MAPPING
        for name, _label in WAVE_FIELDS:
            self.fields[f"col_{name}"] = forms.CharField(
                label=FIELD_LABELS[name],
                max_length=100,
                required=name in ("staff_number", "action"),
                initial=columns.get(name, ""),
            )

    def columns(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(f"col_{name}", "") or "" for name, _l in WAVE_FIELDS}
