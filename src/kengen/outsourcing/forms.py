from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kengen.core.forms import EraDateField
from kengen.outsourcing.choices import CheckState, ConsultationAnswer, EvidenceKind, WorkKind
from kengen.outsourcing.models import ServiceAssessment

TEXT = forms.Textarea(attrs={"rows": 3})


class ContractorForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kana = forms.CharField(label=_("Name (kana)"), max_length=300, required=False)
    corporate_number = forms.CharField(label=_("Corporate number"), max_length=13, required=False)


class MaintenanceStaffForm(forms.Form):
    family_name = forms.CharField(label=_("Family name"), max_length=50)
    given_name = forms.CharField(label=_("Given name"), max_length=50)
    family_name_kana = forms.CharField(label=_("Family name (kana)"), max_length=100)
    given_name_kana = forms.CharField(label=_("Given name (kana)"), max_length=100)
    email = forms.EmailField(label=_("Email"), required=False)


class ContractForm(forms.Form):
    contractor = forms.TypedChoiceField(label=_("Contractor"), coerce=int)
    title = forms.CharField(label=_("Title"), max_length=200)
    work = forms.ChoiceField(label=_("Kind of work"), choices=WorkKind.choices)
    systems = forms.TypedMultipleChoiceField(
        label=_("Systems"), coerce=int, widget=forms.CheckboxSelectMultiple
    )
    organization = forms.TypedChoiceField(label=_("Responsible section"), coerce=int)
    valid_from = EraDateField(label=_("First day"))
    last_day = EraDateField(label=_("Last day"))

    def __init__(self, *args, contractors, systems, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contractor"].choices = contractors
        self.fields["systems"].choices = systems
        self.fields["organization"].choices = organizations


class ContractEditForm(ContractForm):
    """The same fields as registration, less the contractor (a contract with another contractor is
    another contract)."""

    def __init__(self, *args, systems, organizations, **kwargs):
        super().__init__(*args, contractors=[], systems=systems, organizations=organizations, **kwargs)
        del self.fields["contractor"]


class ConsultForm(forms.Form):
    reason = forms.CharField(
        label=_("What is consulted"),
        widget=TEXT,
        max_length=2000,
        help_text=_("Purpose, information handled, why outsourcing or the service is needed."),
    )


class AnswerForm(forms.Form):
    answer = forms.ChoiceField(
        label=_("Answer"), choices=ConsultationAnswer.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Comments and conditions"), widget=TEXT, required=False, max_length=2000
    )


class EndForm(forms.Form):
    on = EraDateField(label=_("Ends on (first day no longer in force)"))
    note = forms.CharField(label=_("Reason"), max_length=200, required=False)


class StaffAddForm(forms.Form):
    person = forms.TypedChoiceField(label=_("Maintenance staff member"), coerce=int)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = people


class ResponsibilityForm(forms.Form):
    system = forms.TypedChoiceField(label=_("System"), coerce=int)
    duties = forms.CharField(label=_("Scope and responsibility"), widget=TEXT, max_length=2000)
    contact = forms.CharField(label=_("Contact"), max_length=200)
    coordination = forms.CharField(label=_("Coordination"), widget=TEXT, required=False, max_length=2000)

    def __init__(self, *args, systems, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["system"].choices = systems


class SubcontractForm(forms.Form):
    subcontractor = forms.TypedChoiceField(label=_("Subcontractor"), coerce=int)
    work_scope = forms.CharField(label=_("Work to be subcontracted"), widget=TEXT, max_length=2000)

    def __init__(self, *args, contractors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subcontractor"].choices = contractors


class ChecklistForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), choices=CheckState.choices)
    review_on = EraDateField(label=_("Next review"), required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Evidence file (PDF, PNG, JPEG; up to 10 MB)"))


class ServiceForm(forms.Form):
    name = forms.CharField(label=_("Service"), max_length=200)
    provider = forms.CharField(label=_("Provider"), max_length=200)
    purpose = forms.CharField(label=_("What it is used for"), widget=TEXT, required=False, max_length=2000)
    organization = forms.TypedChoiceField(label=_("Responsible section"), coerce=int)
    reassess_months = forms.IntegerField(
        label=_("Re-assessment every (months)"), min_value=1, max_value=60, initial=12
    )

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = organizations


class AssessmentForm(forms.ModelForm):
    assessed_on = EraDateField(label=_("Assessed on"))

    class Meta:
        model = ServiceAssessment
        fields = [
            "assessed_on",
            "information",
            "may_entrust",
            "foreign_law_risk",
            "work_location",
            "governing_law",
            "court",
            "exit_plan",
            "security_design",
            "reliability",
        ]
        widgets = {
            f: TEXT
            for f in ("information", "foreign_law_risk", "exit_plan", "security_design", "reliability")
        }


class EvidenceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=EvidenceKind.choices)
    reference = forms.CharField(label=_("Reference"), max_length=200)
    issued_on = EraDateField(label=_("Dated"))
    expires_on = EraDateField(label=_("Expires on"), required=False)
    file = forms.FileField(label=_("File (PDF, PNG, JPEG; up to 10 MB)"), required=False)
