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
    return n
