"""Who holds which role on a date (A3, A4): derived from posts, plus designated roles, which the
configuration administrator designates and ends here (A14)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from kengen.core.access import get_visible
from kengen.core.era import wareki
from kengen.core.exceptions import PermissionDenied
from kengen.core.forms import as_of_date, client_ip
from kengen.core.models import exclusive_end
from kengen.core.refusals import refusals_on
from kengen.roles.choices import DesignatedRoleKind, Role
from kengen.roles.forms import DesignationEndForm, DesignationForm
from kengen.roles.models import DesignatedRole
from kengen.roles.selectors import role_holders, scope_for
from kengen.roles.services import role_designate, role_designation_end

ROLE_ORDER = [
    Role.CORE_ADMIN,
    Role.INTERMEDIATE_ADMIN,
    Role.TWO_FACTOR_ADMIN,
    Role.SYSTEM_ADMIN,
    Role.SECURITY_OFFICER,
]


@login_required
def role_list(request):
    date, date_form = as_of_date(request)
    holders = role_holders(date)
    groups = []
    for role in ROLE_ORDER:
        rows = [(h, people) for h, people in holders if h.role == role]
        if rows:
            groups.append((role, Role(role).label, rows))
    designated = (
        DesignatedRole.objects.restrict(request.user, "view")
        .as_of(date)
        .select_related("user__person")
        .order_by("role", "valid_from")
    )
    return render(
        request,
        "roles/list.html",
        {
            "date": date,
            "date_form": date_form,
            "groups": groups,
            "designated": designated,
            "can_designate": scope_for(request.user).is_configurator,
        },
    )


def _require_configurator(user) -> None:
    if not scope_for(user).is_configurator:
        raise PermissionDenied(_("Only a configuration administrator can designate roles."), clause="A14")


@login_required
def designation_new(request):
    """Designate an auditor, a configuration administrator or a 人事担当 for a period."""
    _require_configurator(request.user)
    today = timezone.localdate()
    form = DesignationForm(
        request.POST or None,
        initial={"valid_from": today, "role": request.GET.get("role", DesignatedRoleKind.PERSONNEL)},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        with refusals_on(form, fields=True):
            designation = role_designate(
                actor=request.user,
                user=form.user,
                role=d["role"],
                valid_from=d["valid_from"],
                valid_to=exclusive_end(d["last_day"]),
                reason=d["reason"].strip(),
            )
            messages.success(
                request,
                _("%(user)s is %(role)s from %(date)s.")
                % {
                    "user": designation.user,
                    "role": designation.get_role_display(),
                    "date": wareki(designation.valid_from),
                },
            )
            return redirect("roles:list")
    return render(
        request,
        "roles/designation_form.html",
        {"form": form, "title": _("Designate a role"), "submit": _("Designate")},
    )


@login_required
def designation_end(request, pk: int):
    _require_configurator(request.user)
    designation = get_visible(DesignatedRole, request.user, pk=pk, ip_address=client_ip(request))
    form = DesignationEndForm(request.POST or None, initial={"last_day": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        on = exclusive_end(form.cleaned_data["last_day"])
        assert on is not None
        with refusals_on(form, fields=True):
            role_designation_end(actor=request.user, designation=designation, on=on)
            messages.success(
                request,
                _("%(user)s is %(role)s until %(date)s.")
                % {
                    "user": designation.user,
                    "role": designation.get_role_display(),
                    "date": wareki(form.cleaned_data["last_day"]),
                },
            )
            return redirect("roles:list")
    return render(
        request,
        "roles/designation_form.html",
        {
            "form": form,
            "designation": designation,
            "title": _("End the designation of %(user)s as %(role)s")
            % {"user": designation.user, "role": designation.get_role_display()},
            "submit": _("End the designation"),
        },
    )
