"""The inbox: notifications addressed to the signed-in person."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from kengen.core.views import paginate
from kengen.notifications.models import Notification
from kengen.notifications.services import inbox_grouped, notification_mark_all_read, notification_mark_read


@login_required
def inbox(request):
    items = Notification.objects.restrict(request.user).filter(recipient_id=request.user.person_id)
    unread = items.filter(read_at__isnull=True).count()
    return render(
        request, "notifications/inbox.html", {"unread": unread, **paginate(request, inbox_grouped(items))}
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
