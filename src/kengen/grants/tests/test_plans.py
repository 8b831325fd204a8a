"""The management file's queries as PostgreSQL plans them (plan shape, not timing).

On a generated file of a few thousand people, a security officer's page must reach grants through
indexes (their people → their user IDs → their grants), never by reading every grant."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kengen.grants.selectors import FileFilter, management_file_listing
from kengen.profiles.scale import START, generate
from kengen.testing import user_for

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def generated(world):
    if connection.vendor != "postgresql":
        pytest.skip("EXPLAIN plans are PostgreSQL's")
    world.core()
    world.system("HR", "人事給与システム", owner=world.joho)
    return generate(people=4000, grants_per_person=10, divisions=40)


def _plans(sqls: list[str]) -> list[str]:
    plans = []
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = on")
        for sql in sqls:
            cursor.execute(f"EXPLAIN {sql}")
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    return plans


def _page_queries(user, **page) -> list[str]:
    listing = management_file_listing(user=user, flt=FileFilter(as_of=START))
    with CaptureQueriesContext(connection) as ctx:
        result = listing.page(limit=100, **page)
    assert result.items, "the officer's page is empty: the generated data did not reach them"
    return [q["sql"] for q in ctx.captured_queries if '"grants_grant"' in q["sql"]]


@pytest.mark.clause("A4")
def test_an_officers_page_reads_grants_through_indexes_not_a_sequential_scan(generated):
    from kengen.people.models import Person

    officer = user_for(Person.objects.get(pk=generated.officer_person_ids[3]), username="scale-officer")

    queries = _page_queries(officer) + _page_queries(officer, last=True)

    assert queries
    for plan in _plans(queries):
        assert "Seq Scan on grants_grant" not in plan, plan
        assert "Seq Scan on grants_account" not in plan, plan


def test_the_auditors_page_walks_the_order_index(generated):
    from kengen.roles.services import role_designate

    auditor = user_for(None, username="scale-auditor")
    role_designate(actor=None, user=auditor, role="auditor", valid_from=START)

    for plan in _plans(_page_queries(auditor)):
        assert "Seq Scan on grants_grant" not in plan, plan
        assert "account_system_user_order" in plan, plan
