"""``kengen person`` and ``kengen schedule``: the same rules and consequences from a script."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from kengen.people.models import Person
from kengen.personnel.choices import ScheduledStatus
from kengen.personnel.models import ScheduledChange
from kengen.roles.choices import DesignatedRoleKind
from kengen.roles.services import role_designate
from kengen.testing import START, user_for

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2025, 3, 10, 9, 0, tzinfo=dt.UTC)


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@time_machine.travel(NOW, tick=False)
@pytest.mark.clause("A2.4")
@pytest.mark.clause("A5.3")
def test_person_add_previews_then_records_a_new_hire(world):
    args = [
        "person", "add", "--staff-number", "C0001", "--family", "新井", "--given", "春子",
        "--family-kana", "アライ", "--given-kana", "ハルコ", "--type", "fy_part_time",
        "--until", "令和8年3月31日", "--unit", "KAZEI", "--post", "shuji", "--on", "令和7年3月1日",
    ]  # fmt: skip
    preview = json.loads(run(*args, "--preview"))
    assert [p["person_name"] for p in preview["network_registrations"]] == ["新井 春子"]
    assert not Person.objects.filter(staff_number="C0001").exists()
    assert run(*args).startswith("applied:")
    person = Person.objects.get(staff_number="C0001")
    assert person.appointments.get().valid_to == dt.date(2026, 4, 1)
    with pytest.raises(CommandError, match="C0001"):
        run(*args)


@time_machine.travel(NOW, tick=False)
def test_schedule_list_and_cancel(world):
    hr = user_for(None, username="hr")
    role_designate(actor=None, user=hr, role=DesignatedRoleKind.PERSONNEL, valid_from=START)
    number = world.people["kazei_clerk"].staff_number
    out = run(
        "person",
        "end",
        "--staff-number",
        number,
        "--last-day",
        "2025-03-31",
        "--reason",
        "retired",
        "--as",
        "hr",
    )
    assert out.startswith("scheduled #")
    row = ScheduledChange.objects.get()
    assert row.created_by == hr
    listing = run("schedule", "list")
    assert f"{row.pk}\t2025-04-01\tscheduled\thr\t" in listing
    run("schedule", "cancel", str(row.pk), "--as", "hr")
    assert ScheduledChange.objects.get().status == ScheduledStatus.CANCELLED
    with pytest.raises(CommandError):
        run("schedule", "cancel", str(row.pk), "--as", "hr")
    with pytest.raises(CommandError):
        run(
            "person",
            "move",
            "--staff-number",
            number,
            "--unit",
            "JOHO",
            "--post",
            "kacho",
            "--on",
            "2025-03-01",
            "--as",
            "hr",
        )
