"""Notifications are stored records, shown in the inbox and emailed after commit."""

import email
import socket

import pytest
from aiosmtpd.controller import Controller

from kengen.core.exceptions import Conflict
from kengen.notifications.choices import EmailStatus
from kengen.notifications.models import Notification
from kengen.notifications.services import notification_deliver, notification_mark_read, notification_send
from kengen.testing import login

pytestmark = pytest.mark.django_db


class _Collect:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(settings):
    handler = _Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    yield handler
    controller.stop()


@pytest.mark.clause("A5.4")
def test_notification_is_stored_and_emailed_through_a_real_smtp_server_after_commit(
    world, smtp, django_capture_on_commit_callbacks
):
    officer = world.people["shokuin_head"]
    officer.email = "sato@example.lg.jp"
    officer.save()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        (n,) = notification_send(
            recipients=[officer],
            clause="A5.4",
            subject="申請2026-00001を登録しました",
            body="個人住民税：照会を登録しました。",
        )
    assert smtp.messages == []  # nothing leaves before the transaction commits
    for callback in callbacks:
        callback()
    (envelope,) = smtp.messages
    assert envelope.rcpt_tos == ["sato@example.lg.jp"]
    message = email.message_from_bytes(envelope.content)
    subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
    assert subject == "[Kengen A5.4] 申請2026-00001を登録しました"
    assert "個人住民税：照会を登録しました。" in message.get_payload(decode=True).decode()
    n.refresh_from_db()
    assert n.email_status == EmailStatus.SENT and n.emailed_at is not None


def test_unreachable_smtp_server_marks_the_notification_failed_and_keeps_it(world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", _free_port(), 2
    person = world.people["jinji_clerk"]
    person.email = "tanaka@example.lg.jp"
    person.save()
    (n,) = notification_send(recipients=[person], subject="s", body="b")
    assert notification_deliver(ids=[n.id]) == 0
    n.refresh_from_db()
    assert n.email_status == EmailStatus.FAILED


def test_person_without_address_still_gets_the_inbox_entry(world, mailoutbox):
    (n,) = notification_send(recipients=[world.people["jinji_clerk"]], subject="s", body="b")
    assert n.email_status == EmailStatus.NO_ADDRESS
    assert Notification.objects.restrict(world.users["jinji_clerk"]).filter(pk=n.pk).exists()
    assert not Notification.objects.restrict(world.users["kazei_clerk"]).filter(pk=n.pk).exists()


def test_inbox_shows_own_notifications_and_marks_them_read(world, client):
    (n,) = notification_send(recipients=[world.people["jinji_clerk"]], subject="登録のお知らせ", body="本文")
    login(client, world.users["kazei_clerk"])
    assert "登録のお知らせ" not in client.get("/inbox/").content.decode()
    login(client, world.users["jinji_clerk"])
    assert "登録のお知らせ" in client.get("/inbox/").content.decode()
    client.post(f"/inbox/{n.pk}/read/")
    n.refresh_from_db()
    assert n.read_at is not None
    with pytest.raises(Conflict):
        notification_mark_read(user=world.users["jinji_clerk"], notification_id=n.pk)
