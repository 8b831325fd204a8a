"""The A9 status list pages in the database (CONVENTIONS 14): paging through it gives exactly the
rows of the whole list — the same rows the list built in Python gave — and a page costs the same
number of queries whatever the number of people."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kengen.acknowledgements import texts
from kengen.acknowledgements.selectors import (
    StatusRow,
    acknowledgement_status_listing,
    acknowledgement_status_rows,
    interval,
    status_of,
)
from kengen.acknowledgements.services import acknowledgement_record
from kengen.core.models import active_on_q
from kengen.organizations.selectors import OrgTree
from kengen.people.models import Assignment
from kengen.roles.choices import Role
from kengen.roles.services import role_designate
from kengen.testing import START, login, staff, user_for

KANA = ["アオキ", "イノウエ", "ウエダ", "エンドウ", "オオタ", "カトウ", "キムラ", "クボ"]


def _python_rows(user, date: dt.date) -> list[StatusRow]:
    """The list as it was built before paging moved into the database: every assignment read and
    judged in Python, then sorted (the reference the SQL must reproduce)."""
    from kengen.acknowledgements.models import Acknowledgement
    from kengen.acknowledgements.selectors import reachable_units

    now = timezone.now()
    reach = reachable_units(user)
    tree = OrgTree(date)
    units = reach if reach is not None else set(tree.by_id)
    order = {o.id: i for i, (o, _d) in enumerate(tree.walk())}
    rows, seen = [], set()
    for a in Assignment.objects.filter(active_on_q(date), organization_id__in=units).order_by("pk"):
        if (a.organization_id, a.person_id) in seen:
            continue
        seen.add((a.organization_id, a.person_id))
        latest = Acknowledgement.objects.filter(person=a.person).order_by("-acknowledged_at", "-id").first()
        at, version = (latest.acknowledged_at, latest.text_version) if latest else (None, None)
        user_obj = getattr(a.person, "kengen_user", None)
        has_sign_in = user_obj is not None and user_obj.is_active
        st = status_of(at, version, now=now)
        if st != "current" and not has_sign_in:
            st = "no_sign_in"
        rows.append(
            StatusRow(
                unit_id=a.organization_id,
                unit=tree.full_name(a.organization_id),
                person_id=a.person_id,
                staff_number=a.person.staff_number or "",
                name=a.person.full_name,
                name_kana=a.person.full_name_kana,
                post=a.post.name,
                has_sign_in=has_sign_in,
                latest_at=at,
                latest_version=version or "",
                next_due=at + interval() if at else None,
                status=st,
            )
        )
    rows.sort(key=lambda r: (order.get(r.unit_id, 0), r.name_kana, r.person_id))
    return rows


def _people(world, n: int, *, offset: int = 0) -> None:
    """``n`` more people across three units: some acknowledged long ago (due), some on the current
    text (current), some never, some without a sign-in."""
    units = [world.jinji, world.kazei, world.shokuin]
    long_ago = timezone.now() - interval() - dt.timedelta(days=3)
    for i in range(offset, offset + n):
        person = staff(units[i % 3], family=f"職員{i:03d}", given="太郎")
        person.family_name_kana = KANA[i % len(KANA)]
        person.given_name_kana = f"タロウ{i:03d}"
        person.save(update_fields=["family_name_kana", "given_name_kana"])
        if i % 4 == 3:
            continue  # no sign-in
        user = user_for(person, username=f"p{i:03d}")
        if i % 4 == 1:
            acknowledgement_record(user=user, text_version=texts.CURRENT_VERSION)
        elif i % 4 == 2:
            with time_machine.travel(long_ago, tick=False):
                acknowledgement_record(user=user, text_version=texts.CURRENT_VERSION)


@pytest.fixture
def auditor(world):
    user = user_for(None, username="kansa")
    role_designate(actor=None, user=user, role=Role.AUDITOR, valid_from=START)
    return user


@pytest.mark.clause("A9.2")
def test_paging_through_the_status_list_gives_exactly_the_unpaged_rows(world, auditor):
    _people(world, 23)
    today = timezone.localdate()
    whole = acknowledgement_status_rows(user=auditor, on=today)
    assert whole == _python_rows(auditor, today)  # the results of the list built in Python
    assert {r.status for r in whole} == {"current", "due", "never", "no_sign_in"}

    listing = acknowledgement_status_listing(user=auditor, on=today)
    paginator = Paginator(listing.assignments, 4)
    paged = [r for n in paginator.page_range for r in listing.rows(paginator.page(n).object_list)]
    assert paged == whole and paginator.count == len(whole)
    counts = listing.counts()
    for status in counts:
        assert counts[status] == sum(1 for r in whole if r.status == status)
        only = acknowledgement_status_rows(user=auditor, on=today, status=status)
        assert only == [r for r in whole if r.status == status]


@pytest.mark.clause("A9.2")
def test_the_status_page_reads_only_its_rows_whatever_the_number_of_people(world, auditor, client):
    from kengen.core.views import PER_PAGE

    login(client, auditor)
    url = reverse("acknowledgements:list")

    def queries(page: int = 1) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, {"page": page})
        assert response.status_code == 200
        return len(captured.captured_queries)

    _people(world, 10)
    client.get(url)  # warm the per-process caches
    few = queries()
    _people(world, PER_PAGE * 2, offset=10)
    many = queries()
    assert many == few
    assert queries(2) == few
    body = client.get(url, {"page": 3}).content.decode()
    assert body.count("<tr") <= PER_PAGE + 1  # one page of rows and the header
