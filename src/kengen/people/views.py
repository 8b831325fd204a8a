"""People: search within what the user may see, and one person's record."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from kengen.core.access import get_visible
from kengen.core.forms import as_of_date, client_ip, with_date
from kengen.core.kept import kept_body, render_body
from kengen.core.models import active_on_q
from kengen.core.scope import scope_of, units_in_scope
from kengen.core.versions import DASHBOARD_VERSION, SCOPE_VERSION
from kengen.core.views import paginate
from kengen.eligibility.selectors import direct_grant_eligibility
from kengen.grants.models import Account, Grant
from kengen.organizations.selectors import OrgTree, chart_as_of
from kengen.people.choices import PersonKind
from kengen.people.forms import PersonSearchForm
from kengen.people.models import Appointment, Assignment, Person
from kengen.people.rows import person_rows


@login_required
def person_list(request):
    date, _date_form = as_of_date(request)
    fragment = bool(request.headers.get("HX-Request"))
    # Kept per user under the versions counting writes to everything it reads (issue 10).
    body = kept_body(
        request,
        "people:list",
        (SCOPE_VERSION, DASHBOARD_VERSION),
        lambda: _person_list_body(request, date, fragment),
        per_user=True,
    )
    if fragment:
        return HttpResponse(body)
    return render(request, "people/list.html", {"body": body})


def _person_list_body(request, date, fragment: bool) -> str:
    """The list's content (or, for htmx, its results): people, appointments, assignments, posts,
    contractors and units (the dashboard version counts writes to them), as the scope reaches."""
    tree = chart_as_of(date, user=request.user)
    form = PersonSearchForm(
        with_date(request.GET, date),
        tree=tree,
        units=units_in_scope(scope_of(request.user, on=date)),
        initial={"on": date},
    )
    people = Person.objects.restrict(request.user, "view", on=date)
    if form.is_valid():
        if q := form.cleaned_data["q"].strip():
            for word in q.split():
                people = people.filter(
                    Q(family_name__icontains=word)
                    | Q(given_name__icontains=word)
                    | Q(family_name_kana__icontains=word)
                    | Q(given_name_kana__icontains=word)
                    | Q(staff_number__iexact=word)
                )
        if employment := form.cleaned_data["employment"]:
            if employment == PersonKind.MAINTENANCE:
                people = people.filter(kind=PersonKind.MAINTENANCE)
            else:
                people = people.filter(
                    Q(appointments__employment_type=employment) & active_on_q(date, "appointments__")
                )
        if unit := form.cleaned_data["unit"]:
            units = tree.descendant_ids([unit])
            people = people.filter(
                Q(assignments__organization_id__in=units) & active_on_q(date, "assignments__")
            )
    people = (
        people.distinct()
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=Assignment.objects.filter(active_on_q(date))
                .select_related("post")
                .order_by("-is_primary"),
                to_attr="assignments_on_date",
            ),
            Prefetch(
                "appointments",
                queryset=Appointment.objects.filter(active_on_q(date)),
                to_attr="appointments_on_date",
            ),
        )
        .select_related("contractor")
    )
    context = {"form": form, "date": date, **paginate(request, people)}
    for person in context["page_obj"]:
        person.units_on_date = [
            (a, tree.full_name(a.organization_id))
            for a in person.assignments_on_date
            if a.organization_id in tree.by_id
        ]
    context["rows"] = person_rows(context["page_obj"])
    return render_body(request, "people/_results.html" if fragment else "people/_list_body.html", context)


@login_required
def person_detail(request, pk: int):
    person = get_visible(Person, request.user, pk=pk, ip_address=client_ip(request))
    today = timezone.localdate()
    date, date_form = as_of_date(request)
    tree = OrgTree(date)
    assignments = person.assignments.select_related(
        "organization", "post", "recorded_by__person", "ended_by__person"
    ).order_by("-valid_from")
    accounts = (
        Account.objects.restrict(request.user, "view", on=date)
        .filter(person=person)
        .select_related("system")
        .order_by("-valid_from")
    )
    grants = (
        Grant.objects.restrict(request.user, "view", on=date)
        .filter(account__person=person)
        .select_related("account__system", "permission__system")
        .order_by("-valid_from", "account__system__sort_order", "permission__sort_order")
    )
    return render(
        request,
        "people/detail.html",
        {
            "person": person,
            "date": date,
            "date_form": date_form,
            "today": today,
            "appointments": person.appointments.select_related(
                "recorded_by__person", "ended_by__person"
            ).order_by("-valid_from"),
            # Scheduled changes are reached through the reverse relation (personnel sits above people).
            "pending": person.scheduled_changes.restrict(request.user, "view")
            .filter(status="scheduled")
            .select_related("created_by__person")
            .order_by("effective_on"),
            "assignments": [
                (
                    a,
                    tree.full_name(a.organization_id)
                    if a.organization_id in tree.by_id
                    else a.organization.name,
                )
                for a in assignments
            ],
            "accounts": accounts,
            "grants": grants,
            "grants_in_force": [g for g in grants if g.is_active_on(date) and g.account.is_active_on(date)],
            "eligibility": direct_grant_eligibility(person, today)
            if person.kind == PersonKind.STAFF
            else None,
        },
    )
