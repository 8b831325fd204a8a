"""Notifications that close (issue 11): a notice about a task resolves when the task is done;
"mark all as read"; the inbox groups notices by task."""

import datetime as dt

import pytest
from django.urls import reverse

from kengen import testing
from kengen.applications.services import (
    LineSpec,
    application_create,
    application_register,
    application_reject,
    application_submit,
)
from kengen.notifications.models import Notification

pytestmark = pytest.mark.django_db


def _submitted(world, tax=None):
    tax = tax or world.core()[1]
    app = application_create(
        actor=world.users["shokuin_head"],
        organization=world.shokuin,
        system=tax,
        lines=[
            LineSpec(
                person=world.people["jinji_clerk"],
                system=tax,
                permissions=[tax.permissions.get(code="inquiry")],
                valid_from=dt.date(2024, 5, 1),
            )
        ],
    )
    return application_submit(actor=world.users["shokuin_head"], application=app)


@pytest.mark.clause("A5.2")
@pytest.mark.clause("A5.4")
def test_waiting_for_registration_resolves_when_the_application_is_registered(world):
    app = _submitted(world)
    waiting = Notification.objects.get(recipient=world.people["joho_head"])
    assert waiting.read_at is None and waiting.resolved_at is None
    application_register(actor=world.users["joho_head"], application=app)
    waiting.refresh_from_db()
    assert waiting.resolved_at is not None and waiting.read_at is not None
    # The officer's "registered" notice is new, unread and open.
    registered = Notification.objects.get(recipient=world.people["shokuin_head"], clause="A5.4")
    assert registered.read_at is None and registered.resolved_at is None


@pytest.mark.clause("A5.4")
def test_waiting_for_registration_resolves_when_the_application_is_sent_back(world):
    app = _submitted(world)
    application_reject(actor=world.users["joho_head"], application=app, reason="期間の誤り")
    waiting = Notification.objects.get(recipient=world.people["joho_head"])
    assert waiting.resolved_at is not None


def test_mark_all_read_and_the_inbox_groups_by_task(client, world):
    tax = world.core()[1]
    app = _submitted(world, tax)
    application_reject(actor=world.users["joho_head"], application=app, reason="期間の誤り")
    second = _submitted(world, tax)
    testing.login(client, world.users["joho_head"])
    page = client.get(reverse("notifications:inbox")).content.decode()
    assert page.count('class="kg-inbox__items"') == 2  # one card per application
    assert "対応済み" in page or "Done" in page
    assert Notification.objects.filter(recipient=world.people["joho_head"], read_at__isnull=True).count() == 1
    client.post(reverse("notifications:read_all"))
    assert not Notification.objects.filter(recipient=world.people["joho_head"], read_at__isnull=True).exists()
    assert second.number in page
