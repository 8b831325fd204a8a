"""Form 1 applications: draft, edit, submit, register or reject, copy, print."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kengen.applications.choices import ApplicationStatus, LineAction
from kengen.applications.forms import ApplicationForm, NetworkRegistrationForm
from kengen.applications.models import Application
from kengen.applications.pdf import render_form1
from kengen.applications.services import (
    FORM1,
    LineSpec,
    application_copy,
    application_create,
    application_line_problems,
    application_register,
    application_update,
    appointment_end,
    network_registration_record,
)
from kengen.core.access import get_visible
from kengen.core.bounds import MAX_ID, text_problem
from kengen.core.era import wareki
from kengen.core.forms import client_ip
from kengen.core.kept import kept_body, render_body
from kengen.core.models import active_on_q, exclusive_end, last_day
from kengen.core.refusals import back_on_refusal, refusal_text, refusals_on
from kengen.core.versions import DASHBOARD_VERSION, SCOPE_VERSION
from kengen.grants.forms import permission_choices
from kengen.grants.models import Account, Grant
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
    # Kept per user under the versions counting writes to applications, units, systems and
    # assignments (what the scope reaches: issue 10).
    body = kept_body(
        request,
        "applications:list",
        (SCOPE_VERSION, DASHBOARD_VERSION),
        lambda: _application_list_body(request),
        per_user=True,
    )
    return render(request, "applications/list.html", {"body": body})


def _application_list_body(request) -> str:
    apps = Application.objects.restrict(request.user).select_related("organization", "system", "applicant")
    systems = (
        System.objects.as_of(timezone.localdate()).filter(parent__isnull=True)
        if scope_for(request.user).is_officer
        else []
    )
    return render_body(
        request,
        "applications/_list_body.html",
        {"systems": systems, **workflow_list_context(request, Application, apps)},
    )


def _choices_for(request, system: System):
    """The form's choices. Each person's label says what they already hold on ``system`` and,
    for a fixed-term appointee, the last day of the appointment (the end pre-filled, A7)."""
    today = timezone.localdate()
    scope = scope_for(request.user)
    tree = OrgTree(today)
    people = list(
        Person.objects.restrict(request.user, "change").order_by("family_name_kana", "given_name_kana")
    )
    held: dict[int, list[str]] = {}
    for g in (
        Grant.objects.filter(account__system=system, account__person__in=people, ended_at__isnull=True)
        .filter(active_on_q(today))
        .select_related("permission", "permission__system", "account")
        .order_by("permission__system__code", "permission__code")
    ):
        assert g.account.person_id is not None
        held.setdefault(g.account.person_id, []).append(
            g.permission.name
            if g.permission.system_id == system.pk
            else f"{g.permission.system.name} {g.permission.name}"
        )
    people_choices = []
    for p in people:
        label = f"{p.full_name}（{p.staff_number}）"
        end = appointment_end(p, today)
        if end is not None:
            label += " " + _("appointment ends %(date)s") % {"date": wareki(end - dt.timedelta(days=1))}
        if held.get(p.pk):
            label += " — " + _("holds: %(perms)s") % {"perms": "、".join(held[p.pk])}
        people_choices.append((p.pk, label))
    perm_choices = permission_choices(system, today)  # grouped by business system for COKAS-R/ADⅡ
    units = [(u, tree.full_name(u)) for u in sorted(scope.officer_unit_ids) if u in tree.by_id]
    return people_choices, perm_choices, units


def _lines_of(d: dict) -> list[LineSpec]:
    chosen = {p.pk: p for p in Person.objects.filter(pk__in=d["people"])}
    by_system: dict[int, list[SystemPermission]] = {}
    for perm in SystemPermission.objects.filter(pk__in=d["permissions"]).select_related("system"):
        by_system.setdefault(perm.system_id, []).append(perm)
    return [
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


def _initial_of(app: Application) -> dict:
    """The edit form filled in from a draft's lines (one action, start and end for all; a line
    whose end was pre-filled from a fixed-term appointment leaves the common end empty)."""
    lines = list(app.lines.select_related("person").prefetch_related("permissions"))
    ends = {
        li.valid_to
        for li in lines
        if li.valid_to is None or li.valid_to != appointment_end(li.person, li.valid_from)
    }
    return {
        "action": lines[0].action if lines else LineAction.REGISTER,
        "people": sorted({li.person_id for li in lines}),
        "permissions": sorted({p.pk for li in lines for p in li.permissions.all()}),
        "valid_from": min((li.valid_from for li in lines), default=None),
        "last_day": last_day(ends.pop()) if len(ends) == 1 else None,
        "purpose": app.purpose,
        "purpose_note": app.purpose_note,
        "reason": app.reason,
        "organization": app.organization_id,
    }


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
        with refusals_on(form, fields={"lines": "people", "permissions": "permissions"}):
            app = application_create(
                actor=request.user,
                organization=Organization.objects.get(pk=d["organization"]),
                system=system,
                lines=_lines_of(d),
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
def application_edit(request, pk: int):
    app = get_visible(Application, request.user, action="change", pk=pk, ip_address=client_ip(request))
    if app.status != ApplicationStatus.DRAFT:
        messages.error(request, _("Only a draft can be edited; copy it to a new application instead."))
        return redirect("applications:detail", app.pk)
    people, perms, units = _choices_for(request, app.system)
    form = ApplicationForm(
        request.POST or None, people=people, permissions=perms, units=units, initial=_initial_of(app)
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        with refusals_on(form, fields={"lines": "people", "permissions": "permissions"}):
            application_update(
                actor=request.user,
                application=app,
                organization=Organization.objects.get(pk=d["organization"]),
                lines=_lines_of(d),
                purpose=d["purpose"],
                purpose_note=d["purpose_note"],
                purpose_approved_by=request.user.person if d["purpose"] == "other" else None,
                purpose_approved_on=timezone.localdate() if d["purpose"] == "other" else None,
                reason=d["reason"],
            )
            messages.success(request, _("The draft was saved. Check it and submit it."))
            return redirect("applications:detail", app.pk)
    return render(
        request,
        "applications/new.html",
        {"form": form, "system": app.system, "app": app, **_lines_and_problems(app)},
    )


@login_required
@require_POST
@back_on_refusal("applications:detail", "pk")
def application_copy_view(request, pk: int):
    app = get_visible(Application, request.user, action="change", pk=pk, ip_address=client_ip(request))
    copy = application_copy(actor=request.user, application=app)
    messages.success(
        request,
        _("Copied to a new draft %(number)s. Correct it and submit it.") % {"number": copy.number},
    )
    return redirect("applications:edit", copy.pk)


def _lines_and_problems(app: Application) -> dict:
    lines = list(app.lines.select_related("person", "system").prefetch_related("permissions"))
    problems = (
        application_line_problems(app)
        if app.status in (ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED)
        else {}
    )
    for line in lines:
        line.problems = [refusal_text(p) for p in problems.get(line.pk, [])]  # type: ignore[attr-defined]
        line.needs_network_registration = any(  # type: ignore[attr-defined]
            p.clause == "A5.3" for p in problems.get(line.pk, [])
        )
    return {"lines": lines, "problem_count": sum(len(v) for v in problems.values())}


@login_required
def application_detail(request, pk: int):
    app = get_visible(Application, request.user, pk=pk, ip_address=client_ip(request))
    context = workflow_detail_context(request, app)
    can_decide = context["can_decide"]
    today = timezone.localdate()
    found = _lines_and_problems(app)
    needs_user_id = []
    for line in found["lines"]:
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
            **found,
            "needs_user_id": needs_user_id,
            "can_copy": context["can_change"]
            and app.status in (ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN),
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
        # Recorded from an application's page: back to that application.
        return redirect(_safe_next(request) or reverse("people:detail", args=[person.pk]))
    return render(
        request,
        "applications/network_registration.html",
        {"form": form, "person": person, "next": _safe_next(request)},
    )


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""
