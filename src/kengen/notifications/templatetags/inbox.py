"""``{% unread_notifications as n %}``: the signed-in person's unread notifications, for the menu."""

from __future__ import annotations

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context) -> int:
    from kengen.notifications.models import Notification

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not getattr(user, "person_id", None):
        return 0
    return (
        Notification.objects.restrict(user).filter(recipient_id=user.person_id, read_at__isnull=True).count()
    )
