"""Scopes cached across requests (``scope_for`` under the scope data version): every write to the
data a scope is built from — through a service, a bulk update or raw SQL — is seen by the next
request that starts after it committed (A3, A4)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from kengen.people.choices import AssignmentEndReason
from kengen.people.models import Assignment
from kengen.people.services import assignment_end
from kengen.roles.choices import Role
from kengen.roles.models import DesignatedRole, ScopeDataVersion
from kengen.roles.selectors import scope_data_version, scope_for
from kengen.roles.services import role_designate, role_designation_end
from kengen.testing import START, build_world
from kengen.users.models import User

# Committed transactions: the cache is bypassed inside a transaction (a test's own included).
pytestmark = pytest.mark.django_db(transaction=True)

TODAY = dt.date(2026, 12, 2)


@pytest.fixture
def world():
    # A transactional test's flush removes the version row with every other row.
    ScopeDataVersion.objects.get_or_create(id=1)
    return build_world()


def next_request(user: User) -> User:
    """What the next request sees: the user loaded again (the per-request cache is on the object)."""
    return User.objects.get(pk=user.pk)


def test_a_second_request_reuses_the_scope_with_one_query(world):
    head = world.users["shokuin_head"]
    first = scope_for(next_request(head), on=TODAY)
    assert first.is_officer

    with CaptureQueriesContext(connection) as queries:
        again = scope_for(next_request(head), on=TODAY)

    # One query for the user, one for the version; the roles themselves are not read again.
    assert len(queries.captured_queries) == 2
    assert again.officer_unit_ids == first.officer_unit_ids == {world.shokuin.id}


@pytest.mark.clause("A3.1")
def test_a_designated_role_is_seen_on_the_next_request(world):
    clerk = world.users["jinji_clerk"]
    assert not scope_for(next_request(clerk), on=TODAY).is_auditor

    role_designate(actor=None, user=clerk, role=Role.AUDITOR, valid_from=START)
    assert scope_for(next_request(clerk), on=TODAY).is_auditor

    designation = DesignatedRole.objects.get(user=clerk, role=Role.AUDITOR)
    role_designation_end(actor=None, designation=designation, on=TODAY)
    assert not scope_for(next_request(clerk), on=TODAY).is_auditor


@pytest.mark.clause("A4")
def test_a_head_transferred_out_loses_the_officer_role_on_the_next_request(world):
    head = world.users["shokuin_head"]
    assert scope_for(next_request(head), on=TODAY).is_officer

    assignment_end(
        actor=None,
        assignment=world.people["shokuin_head"].assignments_on(TODAY).get(organization=world.shokuin),
        on=TODAY,
        reason=AssignmentEndReason.TRANSFER,
    )

    assert not scope_for(next_request(head), on=TODAY).is_officer


@pytest.mark.clause("A3.1")
def test_a_new_system_of_the_division_is_administered_on_the_next_request(world):
    head = world.users["shokuin_head"]
    assert scope_for(next_request(head), on=TODAY).administered_system_ids == set()

    system = world.system("JINJI-SYS", "人事給与システム", owner=world.shokuin)

    assert scope_for(next_request(head), on=TODAY).administered_system_ids == {system.id}


def test_writes_that_bypass_the_services_are_counted_too(world):
    """Bulk updates and raw SQL send no signals; the triggers still bump the version."""
    head = world.users["shokuin_head"]
    assert scope_for(next_request(head), on=TODAY).is_officer
    before = scope_data_version()

    Assignment.objects.filter(person=world.people["shokuin_head"]).update(
        valid_to=START + dt.timedelta(days=1)
    )

    assert scope_data_version() != before
    assert not scope_for(next_request(head), on=TODAY).is_officer


def test_inside_a_transaction_nothing_cached_is_used(world):
    """On PostgreSQL the version moves when the writing transaction commits, so code running
    inside one (a service checking a scope after its own write) always computes afresh."""
    clerk = world.users["jinji_clerk"]
    assert not scope_for(next_request(clerk), on=TODAY).is_auditor
    with transaction.atomic():
        assert scope_data_version() is None
        DesignatedRole.objects.create(user=clerk, role=Role.AUDITOR, valid_from=START)
        assert scope_for(next_request(clerk), on=TODAY).is_auditor


def test_without_the_version_row_nothing_is_cached(world):
    ScopeDataVersion.objects.all().delete()
    assert scope_data_version() is None
    clerk = world.users["jinji_clerk"]
    scope_for(next_request(clerk), on=TODAY)

    with CaptureQueriesContext(connection) as queries:
        scope_for(next_request(clerk), on=TODAY)

    assert len(queries.captured_queries) > 2
