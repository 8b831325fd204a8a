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
from kengen.core.models import active_on_q
from kengen.grants.models import Grant
from kengen.people.choices import EmploymentType
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


@login_required
def home(request):
    """The home page: greeting, my roles today, and the counts that matter for them."""
    user = request.user
    today = timezone.localdate()
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
    if scope.is_officer or scope.administered_system_ids or scope.sees_everything:
        figures["ending_soon"] = Count("pk", filter=Q(valid_to__isnull=False, valid_to__lte=soon))
    if figures:
        counts.update(grants_today.aggregate(**figures))
    if scope.is_officer:
        counts["people_in_my_units"] = (
            Person.objects.restrict(user, "view", on=today)
            .filter(
                Q(assignments__organization_id__in=scope.officer_org_ids)
                & active_on_q(today, "assignments__")
            )
            .distinct()
            .count()
        )
    if scope.is_officer or scope.administered_system_ids or scope.sees_everything:
        fy_end = fiscal_year_end(today)
        counts["fiscal_year_ending"] = (
            grants_today.filter(valid_to__isnull=False, valid_to__lte=fy_end)
            .filter(
                Q(account__person__appointments__employment_type__in=EmploymentType.fiscal_year())
                & active_on_q(today, "account__person__appointments__")
            )
            .distinct()
            .count()
        )
    counts.update(_work_counts(user, scope))
    return render(
        request,
        "dashboard/home.html",
        {
            "today": today,
            "counts": counts,
            "soon_until": today + dt.timedelta(days=30),
            "fiscal_year_last_day": fiscal_year_end(today) - dt.timedelta(days=1),
        },
    )
