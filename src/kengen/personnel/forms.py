"""The personnel change forms: one form, the fields each kind of change needs."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kengen.core.era import wareki
from kengen.core.forms import EraDateField
from kengen.core.models import exclusive_end, last_day
from kengen.organizations.models import Organization, Post
from kengen.people.choices import AppointmentEndReason, EmploymentType
from kengen.people.models import Assignment, Person
from kengen.personnel.changes import NewPerson, PersonnelChange
from kengen.personnel.choices import ChangeKind

_PERSON_FIELDS = ("staff_number", "family_name", "given_name", "family_name_kana", "given_name_kana", "email")
_FIELDS_OF_KIND = {
    ChangeKind.HIRE: {
        *_PERSON_FIELDS,
        "valid_from",
        "employment_type",
        "appointment_last_day",
        "organization",
        "post",
    },
    ChangeKind.APPOINTMENT: {"valid_from", "employment_type", "appointment_last_day", "organization", "post"},
    ChangeKind.MOVE: {"valid_from", "assignment", "organization", "post"},
    ChangeKind.END: {"last_day", "reason"},
}
_REQUIRED = {
    ChangeKind.HIRE: {"staff_number", "family_name", "given_name", "family_name_kana", "given_name_kana"}
    | {"valid_from", "employment_type", "organization", "post"},
    ChangeKind.APPOINTMENT: {"valid_from", "employment_type"},
    ChangeKind.MOVE: {"valid_from", "organization"},
    ChangeKind.END: {"last_day", "reason"},
}


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        if obj.valid_to is not None:
            return _("%(name)s (%(code)s, until %(date)s)") % {
                "name": obj.name,
                "code": obj.code,
                "date": wareki(last_day(obj.valid_to)),
            }
        return f"{obj.name} ({obj.code})"


class PersonnelChangeForm(forms.Form):
    """Dates accept 2025-04-01, 令和7年4月1日 or R7.4.1 (``EraDateField``)."""

    staff_number = forms.CharField(label=_("Staff number"), max_length=20)
    family_name = forms.CharField(label=_("Family name"), max_length=50)
    given_name = forms.CharField(label=_("Given name"), max_length=50)
    family_name_kana = forms.CharField(label=_("Family name (kana)"), max_length=100)
    given_name_kana = forms.CharField(label=_("Given name (kana)"), max_length=100)
    email = forms.EmailField(label=_("Email"), required=False)
    valid_from = EraDateField(
        label=_("Effective date"),
        help_text=_(
            "The first day the change holds. A future date schedules it; a past date records it late."
        ),
    )
    last_day = EraDateField(
        label=_("Last day of employment"),
        help_text=_(
            "e.g. 令和7年3月31日 for a retirement at the end of the fiscal year. A future date schedules it."
        ),
    )
    reason = forms.ChoiceField(label=_("Reason"), choices=AppointmentEndReason.choices)
    employment_type = forms.ChoiceField(label=_("Employment type"), choices=EmploymentType.choices)
    appointment_last_day = EraDateField(
        label=_("Last day of the appointment"),
        required=False,
        help_text=_("Required for fiscal-year and other fixed-term appointments (A7)."),
    )
    assignment = forms.TypedChoiceField(label=_("Assignment that ends"), coerce=int, required=False)
    organization = UnitChoiceField(label=_("Unit"), queryset=Organization.objects.none())
    post = forms.ModelChoiceField(label=_("Post"), queryset=Post.objects.all())

    def __init__(self, *args, kind: str, person: Person | None = None, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.person = person
        for name in list(self.fields):
            if name not in _FIELDS_OF_KIND[ChangeKind(kind)]:
                del self.fields[name]
            else:
                self.fields[name].required = name in _REQUIRED[ChangeKind(kind)]
        if "organization" in self.fields:
            units = self.fields["organization"]
            assert isinstance(units, forms.ModelChoiceField)
            units.queryset = Organization.objects.filter(
                Q(valid_to__isnull=True) | Q(valid_to__gt=today - dt.timedelta(days=366))
            ).order_by("sort_order", "code")
        if kind == ChangeKind.MOVE:
            self.fields["post"].required = False
            self.fields["post"].help_text = _(
                "Leave empty to keep the same post; choose 課長 for a promotion."
            )
            current = (
                person.assignments.filter(
                    Q(valid_to__isnull=True) | Q(valid_to__gt=today - dt.timedelta(days=366))
                ).select_related("organization", "post")
                if person
                else Assignment.objects.none()
            )
            choice = self.fields["assignment"]
            assert isinstance(choice, forms.ChoiceField)
            choice.choices = [("", _("The primary assignment on the date"))] + [
                (a.pk, f"{a.organization.name} {a.post.name} ({wareki(a.valid_from)}〜)") for a in current
            ]
        if kind == ChangeKind.APPOINTMENT:
            self.fields["organization"].required = False
            self.fields["post"].required = False
            self.fields["organization"].help_text = _(
                "Optional: also assign the person to a unit from the same day."
            )

    def clean(self):
        data = super().clean()
        if (
            self.kind == ChangeKind.APPOINTMENT
            and data.get("organization") is not None
            and data.get("post") is None
        ):
            self.add_error("post", _("Choose the post in that unit."))
        return data

    @property
    def effective_on(self) -> dt.date:
        if self.kind == ChangeKind.END:
            end = exclusive_end(self.cleaned_data["last_day"])
            assert end is not None
            return end
        return self.cleaned_data["valid_from"]

    def to_change(self) -> PersonnelChange:
        d = self.cleaned_data
        assignment = None
        if d.get("assignment") and self.person is not None:
            assignment = self.person.assignments.filter(pk=d["assignment"]).first()
        return PersonnelChange(
            kind=self.kind,
            person=self.person,
            new_person=NewPerson(**{f: (d.get(f) or "").strip() for f in _PERSON_FIELDS})
            if self.kind == ChangeKind.HIRE
            else None,
            employment_type=d.get("employment_type") or "",
            appointment_to=exclusive_end(d.get("appointment_last_day")),
            organization=d.get("organization"),
            post=d.get("post"),
            assignment=assignment,
            reason=d.get("reason") or "",
        )


# The field a service's refusal names → the form field to show it on.
FIELD_OF_ERROR = {
    "staff_number": "staff_number",
    "family_name": "family_name",
    "given_name": "given_name",
    "family_name_kana": "family_name_kana",
    "given_name_kana": "given_name_kana",
    "employment_type": "employment_type",
    "appointment_to": "appointment_last_day",
    "valid_to": "appointment_last_day",
    "valid_from": "valid_from",
    "organization": "organization",
    "post": "post",
    "assignment": "assignment",
    "reason": "reason",
}
