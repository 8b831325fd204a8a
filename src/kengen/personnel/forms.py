"""The personnel change forms: one form, the fields each kind of change needs."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kengen.core.era import wareki
from kengen.core.forms import WarekiDateField
from kengen.core.models import exclusive_end, last_day
from kengen.eligibility.choices import EntryScope
from kengen.organizations.choices import OrganizationEndReason, OrganizationKind
from kengen.organizations.models import Organization, Post
from kengen.organizations.services import OrganizationSpec
from kengen.people.choices import AppointmentEndReason, EmploymentType
from kengen.people.models import Assignment, Person
from kengen.personnel.changes import NewPerson, PersonnelChange
from kengen.personnel.choices import ChangeKind
from kengen.systems.choices import SystemKind
from kengen.systems.models import System

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
    valid_from = WarekiDateField(
        label=_("Effective date"),
        help_text=_(
            "The first day the change holds. A future date schedules it; a past date records it late."
        ),
    )
    last_day = WarekiDateField(
        label=_("Last day of employment"),
        help_text=_(
            "e.g. 令和7年3月31日 for a retirement at the end of the fiscal year. A future date schedules it."
        ),
    )
    reason = forms.ChoiceField(label=_("Reason"), choices=AppointmentEndReason.choices)
    employment_type = forms.ChoiceField(label=_("Employment type"), choices=EmploymentType.choices)
    appointment_last_day = WarekiDateField(
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


# --- Configuration (A14): organizations, posts, systems, 別表第2 -------------------------------------


def units_in_force(today: dt.date):
    return Organization.objects.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=today)).order_by(
        "sort_order", "code"
    )


class OrganizationForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=100)
    kana = forms.CharField(label=_("Name (kana)"), max_length=200, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=OrganizationKind.choices)
    parent = UnitChoiceField(label=_("Parent unit"), queryset=Organization.objects.none(), required=False)
    is_security_unit = forms.BooleanField(
        label=_("Has a security officer (its head is the information security officer)"), required=False
    )
    valid_from = WarekiDateField(label=_("From"))

    def __init__(self, *args, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        parent = self.fields["parent"]
        assert isinstance(parent, forms.ModelChoiceField)
        parent.queryset = units_in_force(today)


class OrganizationEndForm(forms.Form):
    last_day = WarekiDateField(label=_("Last day of the unit"))
    reason = forms.ChoiceField(
        label=_("Reason"), choices=[(OrganizationEndReason.ABOLISHED, OrganizationEndReason.ABOLISHED.label)]
    )


class ReorganizeForm(forms.Form):
    on = WarekiDateField(
        label=_("Date of the reorganization"), help_text=_("The first day of the new organization.")
    )
    ending = forms.ModelMultipleChoiceField(label=_("Units that end"), queryset=Organization.objects.none())
    creating = forms.CharField(
        label=_("New units"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "One per line: code,name,kind,parent code,security (1 or 0). e.g. JINJIKYUYO,人事給与係,section,SHOKUIN,0"
        ),
    )
    moves = forms.CharField(
        label=_("Where their people move"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line: old code=new code. e.g. JINJI=JINJIKYUYO"),
    )

    def __init__(self, *args, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        ending = self.fields["ending"]
        assert isinstance(ending, forms.ModelMultipleChoiceField)
        ending.queryset = units_in_force(today)

    def clean_creating(self) -> list[OrganizationSpec]:
        specs = []
        for n, line in enumerate((self.cleaned_data.get("creating") or "").splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.replace("，", ",").split(",")]
            if len(parts) < 3:
                raise forms.ValidationError(_("Line %(n)d: give at least code, name and kind.") % {"n": n})
            code, name, kind = parts[:3]
            if kind not in OrganizationKind.values:
                raise forms.ValidationError(_("Line %(n)d: unknown kind %(kind)s.") % {"n": n, "kind": kind})
            parent = parts[3] if len(parts) > 3 and parts[3] else None
            security = len(parts) > 4 and parts[4] in {"1", "true", "yes", "○"}
            specs.append(
                OrganizationSpec(code=code, name=name, kind=kind, parent=parent, is_security_unit=security)
            )
        return specs

    def clean_moves(self) -> dict[str, str]:
        moves = {}
        for n, line in enumerate((self.cleaned_data.get("moves") or "").splitlines(), start=1):
            if not line.strip():
                continue
            if "=" not in line:
                raise forms.ValidationError(_("Line %(n)d: write old code=new code.") % {"n": n})
            old, new = (p.strip() for p in line.split("=", 1))
            moves[old] = new
        return moves


class PostForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=50)
    kana = forms.CharField(label=_("Name (kana)"), max_length=100, required=False)
    is_head = forms.BooleanField(label=_("Heads the unit (takes its roles)"), required=False)
    rank = forms.IntegerField(label=_("Rank (lower is more senior)"), min_value=0, max_value=999, initial=100)
    unit_kinds = forms.MultipleChoiceField(
        label=_("Kinds of unit that have this post"),
        choices=OrganizationKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("課長 in a 課, 係長 in a 係. None ticked: any unit (主事, 主任 …)."),
    )


class PostEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50)
    kana = forms.CharField(label=_("Name (kana)"), max_length=100, required=False)
    rank = forms.IntegerField(label=_("Rank (lower is more senior)"), min_value=0, max_value=999)
    unit_kinds = PostForm.base_fields["unit_kinds"]


class SystemForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=SystemKind.choices)
    owner = UnitChoiceField(label=_("Owning division"), queryset=Organization.objects.none())
    parent = forms.ModelChoiceField(
        label=_("Core package (for its business systems)"), queryset=System.objects.none(), required=False
    )
    valid_from = WarekiDateField(label=_("In service from"))
    handles_specific_personal_info = forms.BooleanField(
        label=_("Handles specific personal information"), required=False
    )
    user_id_pattern = forms.CharField(label=_("User ID pattern"), max_length=200, required=False)
    user_id_example = forms.CharField(label=_("User ID example"), max_length=64, required=False)
    permissions = forms.CharField(
        label=_("Operation permissions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line: code,name. e.g. inquiry,照会"),
    )

    def __init__(self, *args, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ModelChoiceField)
        owner.queryset = units_in_force(today)
        parent = self.fields["parent"]
        assert isinstance(parent, forms.ModelChoiceField)
        parent.queryset = System.objects.filter(kind=SystemKind.CORE)

    def clean_permissions(self) -> list[tuple[str, str]]:
        out = []
        for n, line in enumerate((self.cleaned_data.get("permissions") or "").splitlines(), start=1):
            if not line.strip():
                continue
            if "," not in line:
                raise forms.ValidationError(_("Line %(n)d: write code,name.") % {"n": n})
            code, name = (p.strip() for p in line.split(",", 1))
            out.append((code, name))
        return out


class SystemEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    user_id_pattern = forms.CharField(
        label=_("User ID pattern"),
        max_length=200,
        required=False,
        help_text=_("A regular expression the whole user ID must match, e.g. ^k[0-9]{6}$."),
    )
    user_id_example = forms.CharField(label=_("User ID example"), max_length=64, required=False)


class PermissionForm(forms.Form):
    code = forms.CharField(label=_("Permission code"), max_length=32)
    name = forms.CharField(label=_("Permission name"), max_length=100)


class Table2Form(forms.Form):
    organization = UnitChoiceField(label=_("Organization"), queryset=Organization.objects.none())
    scope = forms.ChoiceField(label=_("Qualifier"), choices=EntryScope.choices)
    units = forms.ModelMultipleChoiceField(
        label=_("Units named by the qualifier"), queryset=Organization.objects.none(), required=False
    )
    valid_from = WarekiDateField(label=_("From"))
    source = forms.CharField(label=_("Source (e.g. 令和6年3月8日内規第50号)"), max_length=100, required=False)

    def __init__(self, *args, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("organization", "units"):
            f = self.fields[name]
            assert isinstance(f, forms.ModelChoiceField)
            f.queryset = units_in_force(today)


class EndDateForm(forms.Form):
    last_day = WarekiDateField(label=_("Last day"))


class PersonDetailsForm(forms.Form):
    """Who a person is (names, kana, email, staff number): corrections and changes of name."""

    staff_number = forms.CharField(label=_("Staff number"), max_length=20)
    family_name = forms.CharField(label=_("Family name"), max_length=50)
    given_name = forms.CharField(label=_("Given name"), max_length=50)
    family_name_kana = forms.CharField(label=_("Family name (kana)"), max_length=100)
    given_name_kana = forms.CharField(label=_("Given name (kana)"), max_length=100)
    email = forms.EmailField(label=_("Email"), required=False)

    def __init__(self, *args, person: Person, **kwargs):
        super().__init__(*args, **kwargs)
        if person.kind != "staff":
            del self.fields["staff_number"]


class PersonnelPolicyForm(forms.Form):
    network_registration_lead_days = forms.IntegerField(
        label=_("Network user registration counts from (days before the appointment)"),
        min_value=1,
        max_value=366,
        help_text=_("A5.3: a registration filed earlier was for a previous appointment and does not count."),
    )
