"""Who holds which role on a date (A3, A4): derived from posts, plus designated roles."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from kengen.core.forms import as_of_date
from kengen.roles.choices import Role
from kengen.roles.models import DesignatedRole
from kengen.roles.selectors import role_holders

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
        {"date": date, "date_form": date_form, "groups": groups, "designated": designated},
    )
