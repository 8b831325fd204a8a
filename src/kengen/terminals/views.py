"""Biometric enrolment for terminal users (A6.4): who is still to enrol, where and when."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import F, Prefetch
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kengen.core.access import get_visible
from kengen.core.exceptions import PermissionDenied
from kengen.core.forms import client_ip
from kengen.core.models import active_on_q
from kengen.core.refusals import refusals_on
from kengen.core.views import paginate
from kengen.organizations.selectors import OrgTree
from kengen.people.models import Assignment
from kengen.terminals.forms import STATUS_CHOICES, CompleteForm, ScheduleForm
from kengen.terminals.models import BiometricEnrolment
from kengen.terminals.services import enrolment_complete, enrolment_schedule


def _units(person, tree: OrgTree) -> str:
    return "、".join(
        tree.full_name(a.organization_id) for a in person.assignments_today if a.organization_id in tree.by_id
    )


@login_required
def enrolment_list(request):
    """Enrolments the user may see, pending ones first (A6.4)."""
    today = timezone.localdate()
    status = request.GET.get("status", "")
    enrolments = (
        BiometricEnrolment.objects.restrict(request.user)
        .select_related("person", "application")
        .prefetch_related(
            Prefetch(
                "person__assignments",
                queryset=Assignment.objects.filter(active_on_q(today)).order_by("-is_primary"),
                to_attr="assignments_today",
            )
        )
        .order_by(
            F("completed_at").asc(nulls_first=True),
            F("cancelled_at").asc(nulls_first=True),
            F("appointment_at").asc(nulls_last=True),
            "created_at",
        )
    )
    if status == "pending":
        enrolments = enrolments.pending()
    elif status == "done":
        enrolments = enrolments.filter(completed_at__isnull=False)
    pending = BiometricEnrolment.objects.restrict(request.user).pending().count()
    context = paginate(request, enrolments)
    tree = OrgTree(today)
    for e in context["page_obj"]:
        e.units = _units(e.person, tree)
    can_manage = _is_two_factor_admin(request.user)
    return render(
        request,
        "terminals/list.html",
        {
            "status": status,
            "statuses": STATUS_CHOICES,
            "pending": pending,
            "can_manage": can_manage,
            **context,
        },
    )


def _is_two_factor_admin(user) -> bool:
    from kengen.roles.choices import Role
    from kengen.roles.selectors import scope_for

    return Role.TWO_FACTOR_ADMIN in scope_for(user).central_roles


def _get(request, pk: int) -> tuple[BiometricEnrolment, bool]:
    e = get_visible(BiometricEnrolment, request.user, pk=pk, ip_address=client_ip(request))
    can_change = BiometricEnrolment.objects.restrict(request.user, "change").filter(pk=e.pk).exists()
    return e, can_change


def _require_change(can_change: bool) -> None:
    if not can_change:
        raise PermissionDenied(
            _(
                "Only the two-factor system administrator designates the place of enrolment and records it (Art. 6(4))."
            ),
            clause="A6.4",
        )


def _render_detail(request, e, can_change, schedule_form=None, complete_form=None):
    tree = OrgTree(timezone.localdate())
    e.person.assignments_today = list(e.person.assignments_on(timezone.localdate()))
    return render(
        request,
        "terminals/detail.html",
        {
            "e": e,
            "units": _units(e.person, tree),
            "can_change": can_change,
            "schedule_form": schedule_form
            or ScheduleForm(initial={"place": e.place, "appointment_at": e.appointment_at}),
            "complete_form": complete_form or CompleteForm(),
        },
    )


@login_required
def enrolment_detail(request, pk: int):
    e, can_change = _get(request, pk)
    return _render_detail(request, e, can_change)


@login_required
@require_POST
def enrolment_schedule_view(request, pk: int):
    e, can_change = _get(request, pk)
    _require_change(can_change)
    form = ScheduleForm(request.POST)
    if form.is_valid():
        with refusals_on(form, fields=True):
            enrolment_schedule(
                actor=request.user,
                enrolment_id=e.pk,
                place=form.cleaned_data["place"],
                appointment_at=form.cleaned_data["appointment_at"],
            )
            messages.success(
                request,
                _("The place and time were sent to %(name)s and their security officer.")
                % {"name": e.person.full_name},
            )
            return redirect("terminals:detail", e.pk)
    return _render_detail(request, e, can_change, schedule_form=form)


@login_required
@require_POST
def enrolment_complete_view(request, pk: int):
    e, can_change = _get(request, pk)
    _require_change(can_change)
    form = CompleteForm(request.POST)
    if form.is_valid():
        with refusals_on(form, fields=True):
            enrolment_complete(
                actor=request.user, enrolment_id=e.pk, completed_at=form.cleaned_data["completed_at"] or None
            )
            messages.success(
                request, _("The enrolment of %(name)s was recorded.") % {"name": e.person.full_name}
            )
            return redirect("terminals:list")
    return _render_detail(request, e, can_change, complete_form=form)
