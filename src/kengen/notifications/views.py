"""The inbox: notifications addressed to the signed-in person."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from kengen.core.kept import kept_body, render_body
from kengen.core.versions import NOTIFICATION_VERSION, SCOPE_VERSION
from kengen.core.views import paginate
from kengen.notifications.models import Notification
from kengen.notifications.services import inbox_grouped, notification_mark_all_read, notification_mark_read


@login_required
def inbox(request):
    # Kept per user under the notification version (and the scope's: ``restrict``); the CSRF
    # token of its forms is filled in per request (issue 10).
    body = kept_body(
        request,
        "notifications:inbox",
        (SCOPE_VERSION, NOTIFICATION_VERSION),
        lambda: _inbox_body(request),
        per_user=True,
    )
    return render(request, "notifications/inbox.html", {"body": body})


def _inbox_body(request) -> str:
    items = Notification.objects.restrict(request.user).filter(recipient_id=request.user.person_id)
    unread = items.filter(read_at__isnull=True).count()
    return render_body(
        request,
        "notifications/_inbox_body.html",
        {"unread": unread, **paginate(request, inbox_grouped(items))},
    )


@login_required
@require_POST
def mark_all_read(request):
    notification_mark_all_read(user=request.user)
    return redirect("notifications:inbox")


@login_required
@require_POST
def mark_read(request, pk: int):
    n = notification_mark_read(user=request.user, notification_id=pk)
    return (
        redirect(n.link or "notifications:inbox")
        if request.POST.get("open")
        else redirect("notifications:inbox")
    )
