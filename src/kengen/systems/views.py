"""The catalogue of systems: kind, owner, administrator on a date, and permissions."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import render

from kengen.core.access import get_visible
from kengen.core.forms import as_of_date, client_ip
from kengen.core.kept import kept_body, render_body
from kengen.core.models import active_on_q
from kengen.core.versions import DASHBOARD_VERSION, SCOPE_VERSION
from kengen.grants.models import Account, Grant
from kengen.organizations.models import Organization
from kengen.organizations.selectors import OrgTree, chart_as_of
from kengen.roles.selectors import administrators_by_system, administrators_of
from kengen.systems.choices import SystemKind
from kengen.systems.models import System, SystemPermission
from kengen.systems.rows import system_rows

KIND_ORDER = [
    SystemKind.CORE,
    SystemKind.CORE_BUSINESS,
    SystemKind.INTERMEDIATE,
    SystemKind.TWO_FACTOR,
    SystemKind.INDIVIDUAL,
]


def _owner_name(tree: OrgTree, system: System) -> str:
    return tree.full_name(system.owner_id) if system.owner_id in tree.by_id else system.owner.name


@login_required
def system_list(request):
    date, date_form = as_of_date(request)
    # The catalogue and its administrators are the same for every user: kept under the versions
    # counting writes to systems, units, assignments, posts and people (issue 10).
    body = kept_body(
        request,
        "systems:list",
        (SCOPE_VERSION, DASHBOARD_VERSION),
        lambda: _system_list_body(request, date, date_form),
        per_user=False,
    )
    return render(request, "systems/list.html", {"body": body})


def _system_list_body(request, date: dt.date, date_form) -> str:
    tree = chart_as_of(date, user=request.user)
    systems = list(
        System.objects.restrict(request.user, "view")
        .as_of(date)
        .select_related("owner", "parent", "parent__owner")
    )
    admins = administrators_by_system(systems, date)
    groups = []
    for kind in KIND_ORDER:
        rows = []
        for s in systems:
            if s.kind != kind:
                continue
            rows.append(
                {"system": s, "owner": _owner_name(tree, s), "administrators": admins[s.account_system.id]}
            )
        if rows:
            groups.append((kind, SystemKind(kind).label, system_rows(rows, date)))
    return render_body(
        request, "systems/_list_body.html", {"date": date, "date_form": date_form, "groups": groups}
    )


@login_required
def system_detail(request, pk: int):
    system = get_visible(System, request.user, pk=pk, ip_address=client_ip(request))
    date, date_form = as_of_date(request)
    tree = OrgTree(date, Organization.objects.restrict(request.user, "view").as_of(date))
    account_system = system.account_system
    accounts = Account.objects.restrict(request.user, "view", on=date).filter(
        active_on_q(date), system=account_system
    )
    grants = Grant.objects.restrict(request.user, "view", on=date).filter(
        active_on_q(date),
        active_on_q(date, "account__"),
        Q(permission__system=system) | Q(permission__system__parent=system),
    )
    permissions = SystemPermission.objects.restrict(request.user, "view").filter(system=system)
    return render(
        request,
        "systems/detail.html",
        {
            "system": system,
            "date": date,
            "date_form": date_form,
            "owner": _owner_name(tree, system),
            "administrators": list(administrators_of(system, date)),
            "permissions": permissions,
            "business_systems": System.objects.restrict(request.user, "view").filter(parent=system),
            "account_count": accounts.count(),
            "grant_count": grants.count(),
        },
    )
