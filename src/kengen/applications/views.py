"""Form 1 applications: draft, submit, register or reject, print."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kengen.applications.choices import LineAction
from kengen.applications.forms import ApplicationForm, NetworkRegistrationForm
from kengen.applications.models import Application
from kengen.applications.pdf import render_form1
from kengen.applications.services import (
    FORM1,
    LineSpec,
    application_create,
    application_register,
    network_registration_record,
    requires_network_registration,
)
from kengen.core.access import get_visible
from kengen.core.bounds import MAX_ID, text_problem
from kengen.core.forms import client_ip
from kengen.core.models import exclusive_end
from kengen.core.refusals import refusals_on
from kengen.grants.forms import permission_choices
from kengen.grants.models import Account
from kengen.organizations.models import Organization
from kengen.organizations.selectors import OrgTree
from kengen.people.models import Person
from kengen.roles.selectors import scope_for
from kengen.systems.models import System, SystemPermission
from kengen.workflow.views import (
    action_view,
    pdf_views,
    workflow_detail_context,
    workflow_list_context,
)


@login_required
def application_list(request):
    apps = Application.objects.restrict(request.user).select_related("organization", "system", "applicant")
    systems = (
        System.objects.as_of(timezone.localdate()).filter(parent__isnull=True)
        if scope_for(request.user).is_officer
        else []
    )
    return render(
        request,
        "applications/list.html",
        {"systems": systems, **workflow_list_context(request, Application, apps)},
    )


def _choices_for(request, system: System):
    today = timezone.localdate()
    scope = scope_for(request.user)
    tree = OrgTree(today)
    people = Person.objects.restrict(request.user, "change").order_by("family_name_kana", "given_name_kana")
    people_choices = [(p.pk, f"{p.full_name}（{p.staff_number}）") for p in people]
    perm_choices = permission_choices(system, today)  # grouped by business system for COKAS-R/ADⅡ
    units = [(u, tree.full_name(u)) for u in sorted(scope.officer_unit_ids) if u in tree.by_id]
    return people_choices, perm_choices, units


@login_required
def application_new(request):
    scope = scope_for(request.user)
    if not scope.is_officer:
        messages.error(request, _("Only a security officer can make an application (Art. 5(2))."))
        return redirect("applications:list")
    system = get_visible(
        System, request.user, pk=request.GET.get("system") or request.POST.get("system") or 0
    )
    system = system.account_system
    people, perms, units = _choices_for(request, system)
    form = ApplicationForm(request.POST or None, people=people, permissions=perms, units=units)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        chosen = {p.pk: p for p in Person.objects.filter(pk__in=d["people"])}
        by_system: dict[int, list[SystemPermission]] = {}
        for perm in SystemPermission.objects.filter(pk__in=d["permissions"]).select_related("system"):
            by_system.setdefault(perm.system_id, []).append(perm)
        lines = [
            LineSpec(
                person=chosen[pid],
                system=perms_[0].system,
                permissions=perms_,
                action=d["action"],
                valid_from=d["valid_from"],
                valid_to=exclusive_end(d["last_day"]),
            )
            for pid in d["people"]
            for perms_ in by_system.values()
        ]
        with refusals_on(form):
            app = application_create(
                actor=request.user,
                organization=Organization.objects.get(pk=d["organization"]),
                system=system,
                lines=lines,
                purpose=d["purpose"],
                purpose_note=d["purpose_note"],
                purpose_approved_by=request.user.person if d["purpose"] == "other" else None,
                purpose_approved_on=timezone.localdate() if d["purpose"] == "other" else None,
                reason=d["reason"],
            )
            messages.success(
                request,
                _("Application %(number)s was saved as a draft. Check it and submit it.")
                % {"number": app.number},
            )
            return redirect("applications:detail", app.pk)
    return render(request, "applications/new.html", {"form": form, "system": system})


@login_required
def application_detail(request, pk: int):
    app = get_visible(Application, request.user, pk=pk, ip_address=client_ip(request))
    lines = list(app.lines.select_related("person", "system").prefetch_related("permissions"))
    context = workflow_detail_context(request, app)
    can_decide = context["can_decide"]
    today = timezone.localdate()
    needs_network_registration = []
    needs_user_id = []
    for line in lines:
        if (
            line.action == LineAction.REGISTER
            and requires_network_registration(line.person, line.valid_from)
            and not line.person.network_registrations.exists()
        ):
            needs_network_registration.append(line)
        if (
            can_decide
            and line.action == LineAction.REGISTER
            and not Account.objects.filter(system=app.system, person=line.person)
            .as_of(line.valid_from)
            .exists()
        ):
            needs_user_id.append(line)
    tree = OrgTree(today)
    return render(
        request,
        "applications/detail.html",
        {
            **context,
            "lines": lines,
            "needs_network_registration": needs_network_registration,
            "needs_user_id": needs_user_id,
            "unit_name": tree.full_name(app.organization_id)
            if app.organization_id in tree.by_id
            else app.organization.name,
        },
    )


def _register(request, app: Application) -> str:
    user_ids = {}
    for k, v in request.POST.items():
        if k.startswith("user_id_") and v.strip():
            line_id = k.removeprefix("user_id_")
            # A hand-made POST (any role, e.g. the auditor) gets a 400, never a 500 (issue 10).
            if not line_id.isdigit() or int(line_id) > MAX_ID or text_problem(v):
                raise BadRequest(_("Unexpected field %(name)s.") % {"name": k[:40]})
            user_ids[int(line_id)] = v.strip()
    result = application_register(actor=request.user, application=app, user_ids=user_ids)
    return _(
        "Registered in the management file: %(n)d permissions added, %(m)d ended. "
        "The security officer has been notified."
    ) % {"n": len(result.grants), "m": len(result.ended)}


application_action = action_view(
    FORM1,
    decide=("register", _register),
    rejected_message=gettext_lazy("Rejected. The security officer has been notified."),
)
application_pdf, blank_pdf = pdf_views(Application, render_form1, "form1")


@login_required
def network_registration_new(request, person_pk: int):
    person = get_visible(Person, request.user, action="change", pk=person_pk, ip_address=client_ip(request))
    form = NetworkRegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        network_registration_record(
            actor=request.user,
            person=person,
            filed_on=form.cleaned_data["filed_on"],
            reference=form.cleaned_data["reference"],
        )
        messages.success(request, _("The network user registration application was recorded."))
        return redirect("people:detail", person.pk)
    return render(request, "applications/network_registration.html", {"form": form, "person": person})
