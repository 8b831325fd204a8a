"""Sending notifications: stored in the transaction, emailed after it commits."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kengen.core.exceptions import Conflict, NotFound
from kengen.core.types import User
from kengen.core.versions import data_versions_forget
from kengen.notifications.choices import EmailStatus
from kengen.notifications.models import Notification

log = logging.getLogger(__name__)


def notification_send(
    *,
    recipients: Iterable,
    subject: str,
    body: str,
    clause: str = "",
    target: models.Model | None = None,
    link: str = "",
) -> list[Notification]:
    """Store one notification per recipient (``people.Person``) and email them on commit."""
    created = []
    seen: set[int] = set()
    for person in recipients:
        if person is None or person.pk in seen:
            continue
        seen.add(person.pk)
        created.append(
            Notification.objects.create(
                recipient=person,
                clause=clause,
                subject=subject[:200],
                body=body,
                target_type=target._meta.label_lower if target is not None else "",
                target_id=str(target.pk) if target is not None else "",
                link=link,
                email_address=person.email,
                email_status=EmailStatus.PENDING if person.email else EmailStatus.NO_ADDRESS,
            )
        )
    ids = [n.id for n in created if n.email_status == EmailStatus.PENDING]
    if ids:
        transaction.on_commit(lambda: notification_deliver(ids=ids))
    return created


def notification_deliver(*, ids: Iterable[int]) -> int:
    """Email pending notifications; failures are recorded and retried by ``kengen run-due``."""
    sent = 0
    base = getattr(settings, "KENGEN_BASE_URL", "").rstrip("/")
    for n in Notification.objects.filter(
        id__in=list(ids), email_status__in=[EmailStatus.PENDING, EmailStatus.FAILED]
    ):
        text = n.body
        if n.link and base:
            text += "\n\n" + base + n.link
        text += "\n\n" + _("— Kengen (this message was sent automatically; see your inbox in Kengen)")
        prefix = f"[Kengen {n.clause}] " if n.clause else "[Kengen] "
        message = EmailMessage(subject=prefix + n.subject, body=text, to=[n.email_address])
        try:
            message.send()
        except Exception:  # SMTP errors of every kind: record, retry later, never lose the record
            log.warning("email for notification %s failed", n.id, exc_info=True)
            Notification.objects.filter(pk=n.pk).update(email_status=EmailStatus.FAILED)
            continue
        Notification.objects.filter(pk=n.pk).update(email_status=EmailStatus.SENT, emailed_at=timezone.now())
        sent += 1
    return sent


def notification_mark_read(*, user: User, notification_id: int) -> Notification:
    n = Notification.objects.restrict(user).filter(pk=notification_id, recipient_id=user.person_id).first()
    if n is None:
        raise NotFound(_("Not found."))
    if n.read_at is not None:
        raise Conflict(_("Already read."))
    n.read_at = timezone.now()
    n.save(update_fields=["read_at"])
    data_versions_forget(user)  # the menu's unread count, if this request shows it
    return n


def notification_mark_all_read(*, user: User) -> int:
    """Mark every unread notification of the signed-in person read; how many were."""
    count = (
        Notification.objects.restrict(user)
        .filter(recipient_id=user.person_id, read_at__isnull=True)
        .update(read_at=timezone.now())
    )
    data_versions_forget(user)  # the menu's unread count, if this request shows it
    return count


def notifications_resolve(*, target: models.Model) -> int:
    """The task the open notifications about ``target`` asked for is done (an application was
    registered, rejected or withdrawn): they are resolved, and read if they were not. Call it in
    the transaction that did the task, before notifying its outcome."""
    now = timezone.now()
    open_ = Notification.objects.filter(
        target_type=target._meta.label_lower, target_id=str(target.pk), resolved_at__isnull=True
    )
    open_.filter(read_at__isnull=True).update(read_at=now)
    return open_.update(resolved_at=now)


def inbox_grouped(queryset: models.QuerySet[Notification]) -> models.QuerySet[Notification]:
    """``queryset`` ordered by task: the notifications about one target together, the task with
    the latest news first (``group_key`` / ``group_latest`` annotated), paged in the database."""
    from django.db.models import CharField, OuterRef, Subquery, Value
    from django.db.models.functions import Cast, Coalesce, Concat

    latest = (
        Notification.objects.filter(
            recipient_id=OuterRef("recipient_id"),
            target_type=OuterRef("target_type"),
            target_id=OuterRef("target_id"),
        )
        .exclude(target_id="")
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    return queryset.annotate(
        group_latest=Coalesce(Subquery(latest), "created_at"),
        group_key=models.Case(
            models.When(target_id="", then=Concat(Value("n"), Cast("id", CharField()))),
            default=Concat("target_type", Value(":"), "target_id"),
            output_field=CharField(),
        ),
    ).order_by("-group_latest", "group_key", "-created_at", "-id")
