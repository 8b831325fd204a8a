"""The dashboard, and small helpers every app's views share (pagination, exports)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.core.paginator import Page as DjangoPage
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import render
from django.utils import timezone

from kengen.audit.choices import AuditAction
from kengen.audit.services import audit_record
from kengen.core.exports import Table, export_response, streaming_export_response
from kengen.core.forms import client_ip
from kengen.core.models import active_on_q
from kengen.core.paging import Listing, Page
from kengen.grants.models import Grant
from kengen.people.choices import EmploymentType
from kengen.people.models import Person
from kengen.roles.selectors import scope_for

PER_PAGE = 50
EXPORT_FORMATS = ("xlsx", "csv")


def paginate(request, items, per_page: int = PER_PAGE) -> dict:
    """``page_obj`` and an elided ``page_range`` for ``includes/pagination.html``."""
    paginator = Paginator(items, per_page)
    page: DjangoPage = paginator.get_page(request.GET.get("page"))
    return {
        "page_obj": page,
        "page_range": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
    }


def export_format(request) -> tuple[str, str] | None:
    """``(format, encoding)`` when the request asks for an export (``?format=xlsx|csv``)."""
    fmt = request.GET.get("format", "")
    if fmt not in EXPORT_FORMATS:
        return None
    encoding = (
        "cp932" if request.GET.get("encoding", "").lower() in {"cp932", "sjis", "shift_jis"} else "utf-8-sig"
    )
    return fmt, encoding


def audited_export(
    request,
    table: Table,
    *,
    fmt: str,
    encoding: str,
    filename: str,
    label: str,
    details: dict,
    count: Callable[[], int] | None = None,
):
    """Send ``table`` as a file and record who exported what (the export itself is an event).

    With ``count`` (the number of rows, counted in the database), ``table.rows`` may be a stream:
    the file is then streamed with bounded memory instead of being built in memory first."""
    if count is None:
        table.rows = list(table.rows)
        rows = len(table.rows)
    else:
        rows = count()
    audit_record(
        actor=request.user,
        action=AuditAction.EXPORT,
        target_label=label,
        new={
            **details,
            "rows": rows,
            "format": fmt if fmt == "xlsx" else f"csv/{encoding}",
        },
        ip_address=client_ip(request),
    )
    if count is not None:
        return streaming_export_response(table, fmt, filename, encoding=encoding)
    return export_response(table, fmt, filename, encoding=encoding)


def keyset_paginate(request, listing: Listing | None, per_page: int = PER_PAGE) -> dict:
    """``page`` (a :class:`~kengen.core.paging.Page`), ``count``/``count_exact`` and the links of
    ``includes/keyset_pagination.html`` for a listing paged in the database.

    ``?cursor=`` (the links this builds) costs the same on every page; ``?page=N`` is still
    understood (an offset) and ``?cursor=last`` jumps to the end."""
    if listing is None:
        return {"page": Page([], 1, False, False), "count": 0, "count_exact": True, "pages": 1}
    count, exact = listing.count()
    pages = max(1, -(-count // per_page)) if exact else None
    cursor = request.GET.get("cursor", "")
    if cursor == "last":
        page = listing.page(limit=per_page, last=True)
        page.number = pages or 0
    elif cursor:
        page = listing.page(listing.cursor(cursor), limit=per_page)
    else:
        try:
            number = max(1, int(request.GET.get("page", "1")))
        except ValueError:
            number = 1
        if pages is not None:
            number = min(number, pages)
        page = (
            listing.page(limit=per_page)
            if number == 1
            else listing.offset_page((number - 1) * per_page, per_page)
        )
    return {"page": page, "count": count, "count_exact": exact, "pages": pages}


def fiscal_year_end(date: dt.date) -> dt.date:
    """The exclusive end of the fiscal year (April–March) containing ``date``: 1 April next."""
    return dt.date(date.year + 1 if date.month >= 4 else date.year, 4, 1)


def _work_counts(user, scope) -> dict[str, int | None]:
    """What is waiting for the user: applications to register (administrators), drafts to submit
    (officers), biometric enrolments still pending (the two-factor administrator sees all; officers
    their people's; everyone their own)."""
    from kengen.applications.choices import ApplicationStatus
    from kengen.applications.models import Application
    from kengen.roles.choices import Role
    from kengen.terminals.models import BiometricEnrolment

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
    if Role.TWO_FACTOR_ADMIN in scope.central_roles or scope.is_officer:
        counts["pending_enrolments"] = (
            pending.count()
            if Role.TWO_FACTOR_ADMIN in scope.central_roles
            else pending.exclude(person_id=scope.person_id).count()
        )
    if scope.person_id:
        counts["my_pending_enrolment"] = pending.filter(person_id=scope.person_id).count()
    return counts


@login_required
def dashboard(request):
    """Greeting, my roles today, and the counts that matter for them."""
    user = request.user
    today = timezone.localdate()
    scope = scope_for(user)
    grants_today = Grant.objects.restrict(user, "view", on=today).filter(active_on_q(today))
    counts: dict[str, int | None] = {
        "my_grants": grants_today.filter(account__person_id=scope.person_id).count()
        if scope.person_id
        else None,
        "people_in_my_units": None,
        "grants_on_my_systems": None,
        "ending_soon": None,
        "fiscal_year_ending": None,
    }
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
    if scope.administered_system_ids:
        counts["grants_on_my_systems"] = grants_today.filter(
            account__system_id__in=scope.administered_system_ids
        ).count()
    if scope.is_officer or scope.administered_system_ids or scope.sees_everything:
        soon = today + dt.timedelta(days=31)  # last day within 30 days ⇔ exclusive end ≤ today + 31
        counts["ending_soon"] = grants_today.filter(valid_to__isnull=False, valid_to__lte=soon).count()
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
        "core/dashboard.html",
        {
            "today": today,
            "counts": counts,
            "soon_until": today + dt.timedelta(days=30),
            "fiscal_year_last_day": fiscal_year_end(today) - dt.timedelta(days=1),
        },
    )
