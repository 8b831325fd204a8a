"""Paging in the database returns exactly the rows of the unpaged query, in the same order, for
any filter and any order: forwards by cursor, backwards from the end, by offset, and streamed."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kengen.core.exceptions import RuleViolation
from kengen.core.paging import Key, Listing
from kengen.grants.choices import GrantBasis
from kengen.grants.models import Grant
from kengen.grants.selectors import FileFilter, management_file, management_file_listing
from kengen.grants.services import account_create, grant_create
from kengen.roles.services import role_designate
from kengen.testing import START, user_for

pytestmark = pytest.mark.django_db

FIELDS = [
    "valid_from",
    "valid_to",
    "purpose",
    "basis",
    "account__user_id",
    "account__system__sort_order",
    "permission_id",
]


@pytest.fixture
def grants(world):
    """A file with ties, NULLs and several systems: 4 people × 2 systems × up to 3 permissions."""
    core, tax = world.core()
    hr = world.system("HR", "人事給与システム", owner=world.joho)
    people = [world.people[k] for k in ("jinji_clerk", "kazei_clerk", "shokuin_head", "shiminzei_head")]
    for i, person in enumerate(people):
        for system, perms in ((core, list(tax.permissions.all())), (hr, list(hr.permissions.all()))):
            account = account_create(
                actor=None,
                system=system,
                user_id=f"{system.code}-{i % 3}{i}",
                person=person,
                valid_from=START,
            )
            for j, perm in enumerate(perms[: 1 + i % 3]):
                grant_create(
                    actor=None,
                    account=account,
                    permission=perm,
                    valid_from=START + dt.timedelta(days=(i * j) % 3),
                    valid_to=None if (i + j) % 2 else START + dt.timedelta(days=400 + j),
                    basis=GrantBasis.APPLICATION if j % 2 else GrantBasis.INITIAL_LOAD,
                )
    auditor = user_for(None, username="paging-auditor")
    role_designate(actor=None, user=auditor, role="auditor", valid_from=START)
    return auditor


orders = st.lists(
    st.tuples(st.sampled_from(FIELDS), st.booleans(), st.sampled_from([None, True, False])),
    max_size=4,
    unique_by=lambda t: t[0],
)
filters = st.fixed_dictionaries(
    {
        "basis": st.sampled_from([None, GrantBasis.APPLICATION, GrantBasis.INITIAL_LOAD]),
        "open_ended": st.sampled_from([None, True, False]),
    }
)


def _listing(order, flt) -> Listing:
    qs = Grant.objects.all()
    if flt["basis"]:
        qs = qs.filter(basis=flt["basis"])
    if flt["open_ended"] is not None:
        qs = qs.filter(valid_to__isnull=flt["open_ended"])
    keys = [Key(path, desc, nulls_first=nulls) for path, desc, nulls in order] + [Key("pk")]
    return Listing(qs, keys)


def _walk_forwards(listing: Listing, limit: int) -> list[int]:
    seen, page = [], listing.page(limit=limit)
    seen += [g.pk for g in page.items]
    while page.next_cursor:
        page = listing.page(listing.cursor(page.next_cursor), limit=limit)
        seen += [g.pk for g in page.items]
    return seen


def _walk_backwards(listing: Listing, limit: int) -> list[int]:
    pages, page = [], listing.page(limit=limit, last=True)
    pages.append([g.pk for g in page.items])
    while page.previous_cursor:
        page = listing.page(listing.cursor(page.previous_cursor), limit=limit)
        pages.append([g.pk for g in page.items])
    return [pk for chunk in reversed(pages) for pk in chunk]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=orders, flt=filters, limit=st.integers(min_value=1, max_value=7))
def test_paging_any_filter_in_any_order_returns_exactly_the_unpaged_rows(grants, order, flt, limit):
    listing = _listing(order, flt)
    unpaged = [g.pk for g in listing.ordered()]

    assert _walk_forwards(listing, limit) == unpaged
    assert _walk_backwards(listing, limit) == unpaged
    by_offset = []
    for offset in range(0, len(unpaged) + limit, limit):
        by_offset += [g.pk for g in listing.offset_page(offset, limit).items]
    assert by_offset == unpaged
    assert [g.pk for g in listing.iterate(chunk=limit)] == unpaged
    assert listing.count(cap=None) == (len(unpaged), True)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(limit=st.integers(min_value=1, max_value=9), system=st.sampled_from([None, "COKAS", "HR"]))
def test_the_management_file_pages_to_exactly_its_rows(grants, limit, system):
    from kengen.systems.models import System

    system_id = System.objects.get(code=system).pk if system else None
    flt = FileFilter(as_of=START + dt.timedelta(days=2), system_id=system_id)
    whole = [r.grant.pk for r in management_file(user=grants, flt=flt)]
    listing = management_file_listing(user=grants, flt=flt)

    assert whole == [g.pk for g in listing.ordered()]  # partitions walk in the query's order
    seen, page = [], listing.page(limit=limit)
    seen += [r.grant.pk for r in page.items]
    while page.next_cursor:
        page = listing.page(listing.cursor(page.next_cursor), limit=limit)
        seen += [r.grant.pk for r in page.items]
    assert seen == whole


def test_a_tampered_cursor_is_refused(grants):
    listing = _listing([], {"basis": None, "open_ended": None})
    token = listing.page(limit=2).next_cursor

    with pytest.raises(RuleViolation):
        listing.cursor(token[:-2] + "xx")
    with pytest.raises(RuleViolation):  # a cursor of another list
        Listing(Grant.objects.all(), ["-pk"]).cursor(token)
