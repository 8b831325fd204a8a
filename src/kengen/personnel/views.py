"""Personnel pages for the personnel records officer (人事担当): a change is entered, previewed with
its consequences on its date, then confirmed (applied now, or scheduled for a future date)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kengen.core.access import get_visible
from kengen.core.era import wareki
from kengen.core.exceptions import Conflict, PermissionDenied, RuleViolation
from kengen.core.forms import client_ip
from kengen.core.views import paginate
from kengen.people.models import Person
from kengen.personnel.choices import ChangeKind, ScheduledStatus
from kengen.personnel.forms import FIELD_OF_ERROR, PersonnelChangeForm
from kengen.personnel.models import ScheduledChange
from kengen.personnel.selectors import consequences_of
from kengen.personnel.services import (
    AppliedChanges,
    personnel_changes_submit,
    scheduled_change_cancel,
)
from kengen.roles.selectors import scope_for

TITLES = {
    ChangeKind.HIRE: gettext_lazy("Register a new hire"),
    ChangeKind.APPOINTMENT: gettext_lazy("Record an appointment (fiscal-year renewal)"),
    ChangeKind.MOVE: gettext_lazy("Record a transfer or promotion"),
    ChangeKind.END: gettext_lazy("Record the end of an appointment or a retirement"),
}


def _require_personnel(user) -> None:
    if not scope_for(user).is_personnel:
        raise PermissionDenied(
            _("Only the personnel records officer (人事担当) records people, appointments and assignments."),
            clause="A14",
        )


def _refusal(form, exc: RuleViolation | Conflict) -> None:
    text = f"{exc.message} [{exc.clause}]" if exc.clause else str(exc.message)
    field = FIELD_OF_ERROR.get(exc.field or "")
    form.add_error(field if field in form.fields else None, text)


@login_required
def change(request, kind: str, pk: int | None = None):
    """Enter → preview (the consequences on the date) → confirm."""
    _require_personnel(request.user)
    if kind not in ChangeKind.values or (kind == ChangeKind.HIRE) != (pk is None):
        raise PermissionDenied(_("Unknown kind of change."))
    person = get_visible(Person, request.user, pk=pk, ip_address=client_ip(request)) if pk else None
    today = timezone.localdate()
    action = request.POST.get("action", "")
    form = PersonnelChangeForm(
        request.POST if request.method == "POST" and action != "new" else None,
        kind=kind,
        person=person,
        today=today,
        initial={"valid_from": today},
    )
    context = {
        "form": form,
        "person": person,
        "kind": kind,
        "title": TITLES[ChangeKind(kind)],
        "today": today,
    }
    if request.method == "POST" and form.is_valid():
        on = form.effective_on
        changes = form.to_change()
        try:
            consequences = consequences_of(changes, on=on)
            if action == "confirm":
                result = personnel_changes_submit(
                    actor=request.user,
                    changes=changes,
                    on=on,
                    expected=request.POST.get("fingerprint") or None,
                )
            elif action == "preview":
                return render(
                    request,
                    "personnel/preview.html",
                    {
                        **context,
                        "consequences": consequences,
                        "on": on,
                        "scheduled": on > today,
                        "change": changes,
                    },
                )
            else:
                return render(request, "personnel/change.html", context)
        except (RuleViolation, Conflict) as exc:
            _refusal(form, exc)
        else:
            if isinstance(result, AppliedChanges):
                messages.success(
                    request,
                    _("Recorded: %(change)s, from %(date)s.")
                    % {"change": changes.describe(), "date": wareki(on)},
                )
                return redirect("people:detail", result.people[0].pk)
            messages.success(
                request,
                _("Scheduled for %(date)s: %(change)s. It takes effect on that date unless cancelled.")
                % {"change": changes.describe(), "date": wareki(on)},
            )
            return redirect("personnel:scheduled")
    return render(request, "personnel/change.html", context)


@login_required
def scheduled_list(request):
    """予定されている変更: what will take effect, who entered it; cancellable until its date."""
    scope = scope_for(request.user)
    if not (scope.is_personnel or scope.sees_everything):
        raise PermissionDenied(_("Only the personnel records officer and auditors see scheduled changes."))
    show = request.GET.get("status", ScheduledStatus.SCHEDULED)
    rows = (
        ScheduledChange.objects.restrict(request.user, "view")
        .select_related("created_by__person", "cancelled_by__person", "person")
        .order_by("effective_on", "id")
    )
    if show in ScheduledStatus.values:
        rows = rows.filter(status=show)
    return render(
        request,
        "personnel/scheduled.html",
        {
            "show": show,
            "statuses": ScheduledStatus.choices,
            "can_cancel": scope.is_personnel,
            "today": timezone.localdate(),
            **paginate(request, rows),
        },
    )


@login_required
@require_POST
def scheduled_cancel(request, pk: int):
    _require_personnel(request.user)
    row = get_visible(ScheduledChange, request.user, pk=pk, ip_address=client_ip(request))
    scheduled_change_cancel(actor=request.user, scheduled=row)
    messages.success(request, _("Cancelled: %(summary)s") % {"summary": row.summary})
    return redirect("personnel:scheduled")
