import datetime as dt

from ninja import Router, Schema
from ninja.pagination import paginate

from kengen.core.api_schemas import Pagination
from kengen.core.bounds import Id
from kengen.notifications.models import Notification
from kengen.notifications.services import notification_mark_all_read, notification_mark_read

router = Router()


class NotificationOut(Schema):
    id: int
    clause: str
    subject: str
    body: str
    link: str
    created_at: dt.datetime
    read_at: dt.datetime | None
    resolved_at: dt.datetime | None
    email_status: str


@router.get("", response=list[NotificationOut], summary="The caller's inbox, newest first")
@paginate(Pagination)
def inbox(request, unread: bool = False):
    qs = Notification.objects.restrict(request.auth).filter(recipient_id=request.auth.person_id)
    return qs.filter(read_at__isnull=True) if unread else qs


@router.post("/{int:notification_id}/read", response=NotificationOut)
def mark_read(request, notification_id: Id):
    return notification_mark_read(user=request.auth, notification_id=notification_id)


class MarkedOut(Schema):
    marked: int


@router.post("/read-all", response=MarkedOut, summary="Mark every unread notification read")
def mark_all_read(request):
    return MarkedOut(marked=notification_mark_all_read(user=request.auth))
