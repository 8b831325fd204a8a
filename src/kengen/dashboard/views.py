"""The home page: what is waiting for the signed-in user, read from every app.

It sits at the top of the layers (it reads grants, people, roles, applications and terminals), so
that core stays the ground floor.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import render
from django.utils import timezone

from kengen.applications.choices import ApplicationStatus
from kengen.applications.models import Application
from kengen.core.dates import fiscal_year_end
from kengen.core.kept import kept_body, render_body
from kengen.core.models import active_on_q
from kengen.core.versions import DASHBOARD_VERSION, SCOPE_VERSION
from kengen.dashboard.figures import kept
from kengen.grants.models import Grant
from kengen.grants.selectors import grants_as_of
from kengen.people.models import Person
from kengen.roles.choices import Role
from kengen.roles.selectors import scope_for
from kengen.terminals.models import BiometricEnrolment


def _work_counts(user, scope) -> dict[str, int | None]:
    """What is waiting for the user: applications to register (administrators), drafts to submit
    (officers), biometric enrolments still pending (the two-factor administrator sees all; officers
    their people's; everyone their own)."""
    counts: dict[str, int | None] = {
        "applications_to_register": None,
        "my_drafts": None,
        "pending_enrolments": None,
        "my_pending_enrolment": None,
    }
    if scope.administered_system_ids:
        counts["applications_to_register"] = (
            Application.objects.restrict(user, "decide").filter(status=ApplicationStatus.SUBMITTED).count()
        )
    if scope.is_officer:
        counts["my_drafts"] = (
            Application.objects.restrict(user, "change").filter(status=ApplicationStatus.DRAFT).count()
        )
    pending = BiometricEnrolment.objects.restrict(user).pending()
    figures: dict[str, Count] = {}  # one query for both figures
    if Role.TWO_FACTOR_ADMIN in scope.central_roles:
        figures["pending_enrolments"] = Count("pk")
    elif scope.is_officer:
        figures["pending_enrolments"] = Count("pk", filter=~Q(person_id=scope.person_id))
    if scope.person_id:
        figures["my_pending_enrolment"] = Count("pk", filter=Q(person_id=scope.person_id))
    if figures:
        counts.update(pending.aggregate(**figures))
    return counts


def _file_url(**params: object) -> str:
    """The management file with the filters a dashboard count applies."""
    from urllib.parse import urlencode

    from django.urls import reverse

    query = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in params.items()}
    return f"{reverse('grants:file')}?{urlencode(query)}"


def _counts(user, today: dt.date) -> dict[str, int | None]:
    """The tiles' figures (kept per user under the data versions: ``figures.kept``)."""
    scope = scope_for(user)
    grants_today = Grant.objects.restrict(user, "view", on=today).filter(active_on_q(today))
    counts: dict[str, int | None] = {
        "my_grants": None,
        "people_in_my_units": None,
        "grants_on_my_systems": None,
        "ending_soon": None,
        "fiscal_year_ending": None,
    }
    soon = today + dt.timedelta(days=31)  # last day within 30 days ⇔ exclusive end ≤ today + 31
    # The plain figures over today's grants in one query (conditional counts), not one each.
    figures: dict[str, Count] = {}
    if scope.person_id:
        figures["my_grants"] = Count("pk", filter=Q(account__person_id=scope.person_id))
    if scope.administered_system_ids:
        figures["grants_on_my_systems"] = Count(
            "pk", filter=Q(account__system_id__in=scope.administered_system_ids)
        )
    if figures:
        counts.update(grants_today.aggregate(**figures))
    if scope.is_officer:
        counts["people_in_my_units"] = (
            Person.objects.restrict(user, "view", on=today)
            .filter(
                Q(assignments__organization_id__in=scope.officer_org_ids)
                & active_on_q(today, "assignments__")
            )
            .values("pk")  # DISTINCT over the ids, not over every column of the rows
            .distinct()
            .count()
        )
    if scope.is_officer or scope.administered_system_ids or scope.sees_everything:
        # The same filters as the management file's list each count links to (grants_as_of).
        counts["ending_soon"] = grants_as_of(user=user, date=today, ends_by=soon).count()
        counts["fiscal_year_ending"] = grants_as_of(
            user=user, date=today, ends_by=fiscal_year_end(today), fiscal_year_appointees=True
        ).count()
    counts.update(_work_counts(user, scope))
    return counts


@login_required
def home(request):
    """The home page: greeting, my roles today, and the counts that matter for them. Its body (roles,
    tiles, charts, tasks) is kept per user under the scope and dashboard versions (issue 10): the
    versions count every write to what it reads, and it depends on the date, not the time of day."""
    body = kept_body(
        request,
        "dashboard:home",
        (SCOPE_VERSION, DASHBOARD_VERSION),
        lambda: _home_body(request),
        per_user=True,
    )
    return render(request, "dashboard/home.html", {"body": body})


def _home_body(request) -> str:
    user = request.user
    today = timezone.localdate()
    counts = kept(user, today, "tiles", lambda: _counts(user, today), lambda _counts: 0)
    return render_body(
        request,
        "dashboard/_home_body.html",
        {
            "today": today,
            "counts": counts,
            "soon_until": today + dt.timedelta(days=30),
            "fiscal_year_last_day": fiscal_year_end(today) - dt.timedelta(days=1),
            "ending_soon_url": _file_url(on=today, ending_by=today + dt.timedelta(days=30)),
            "fiscal_year_url": _file_url(
                on=today, ending_by=fiscal_year_end(today) - dt.timedelta(days=1), fiscal_year="on"
            ),
        },
    )
