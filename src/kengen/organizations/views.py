"""The organization tree as of a date, and one unit with its history and members."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from kengen.core.access import get_visible
from kengen.core.forms import as_of_date, client_ip
from kengen.core.kept import kept_body, render_body
from kengen.core.models import active_on_q
from kengen.core.versions import DASHBOARD_VERSION, SCOPE_VERSION
from kengen.eligibility.selectors import entries_covering
from kengen.organizations.models import Organization
from kengen.organizations.rows import tree_rows
from kengen.organizations.selectors import OrgTree, chart_as_of
from kengen.people.models import Assignment, Person
from kengen.roles.selectors import heads_by_org, security_officers_for


def _tree(user, date: dt.date) -> OrgTree:
    return OrgTree(
        date, Organization.objects.restrict(user, "view").as_of(date).order_by("sort_order", "code")
    )


@login_required
def tree(request):
    date, date_form = as_of_date(request)
    # The chart and its heads are the same for every user (the chart is not confidential): kept
    # under the versions counting writes to units, assignments, posts and people (issue 10).
    body = kept_body(
        request,
        "organizations:tree",
        (SCOPE_VERSION, DASHBOARD_VERSION),
        lambda: _tree_body(request, date, date_form),
        per_user=False,
    )
    return render(request, "organizations/tree.html", {"body": body})


def _tree_body(request, date: dt.date, date_form) -> str:
    org_tree = chart_as_of(date, user=request.user)
    walk = org_tree.walk()
    # Grouped by the units below the top (部, 総合支所 …): one group at a time, so a city of 184
    # units is not one long page. ``?under=all`` shows the whole chart (and prints it).
    top_depth = 0 if len(org_tree.roots) > 1 else 1
    groups = [org for org, depth in walk if depth == top_depth]
    under = request.GET.get("under", "")
    shown: set[int] | None = None
    current = None
    if under != "all" and len(walk) > 60 and groups:
        current = next((g for g in groups if str(g.pk) == under), groups[0])
        shown = org_tree.descendant_ids([current.pk]) | {o.id for o, d in walk if d < top_depth}
    heads = heads_by_org(date, org_ids=shown)  # only the units shown
    rows = [(org, depth, heads.get(org.id, [])) for org, depth in walk if shown is None or org.id in shown]
    return render_body(
        request,
        "organizations/_tree_body.html",
        {
            "date": date,
            "date_form": date_form,
            "rows": rows,
            "tree_rows": tree_rows(rows, date),
            "groups": groups if shown is not None or under == "all" else [],
            "current": current,
            "showing_all": under == "all",
        },
    )


@login_required
def detail(request, pk: int):
    org = get_visible(Organization, request.user, pk=pk, ip_address=client_ip(request))
    date, date_form = as_of_date(request)
    if "on" not in request.GET and not org.is_active_on(date):
        date = org.last_day or org.valid_from  # a unit that has ended: show its last day
        date_form.initial["on"] = date
    active = org.is_active_on(date)
    org_tree = _tree(request.user, date)
    visible_people = Person.objects.restrict(request.user, "view", on=date)
    members = (
        Assignment.objects.filter(active_on_q(date), organization=org, person__in=visible_people)
        .select_related("person", "post")
        .order_by("post__rank", "person__family_name_kana", "person__given_name_kana")
    )
    children = org_tree.children.get(org.id, []) if active else []
    return render(
        request,
        "organizations/detail.html",
        {
            "org": org,
            "date": date,
            "date_form": date_form,
            "active": active,
            "full_name": org_tree.full_name(org.id) if active else org.name,
            "ancestors": org_tree.ancestors(org.id) if active else [],
            "children": children,
            "heads": heads_by_org(date, org_ids=[org.id]).get(org.id, []) if active else [],
            "officers": list(security_officers_for(org.id, date)) if active else [],
            "security_unit": org_tree.security_unit_of(org.id) if active else None,
            "members": members,
            "table2": entries_covering(org.id, date, org_tree) if active else [],
            "predecessors": org.predecessors.restrict(request.user, "view").order_by("valid_from"),
            "successors": org.successors.restrict(request.user, "view").order_by("valid_from"),
        },
    )
