"""Amending 別表第2 (A5.5, AS): entries are checked against the organization tree and audited."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import pytest

from kengen.audit.choices import AuditAction
from kengen.audit.models import AuditEvent
from kengen.core.exceptions import Conflict, RuleViolation
from kengen.eligibility.choices import EntryScope
from kengen.eligibility.models import EligibilityEntry
from kengen.eligibility.services import eligibility_entry_create, eligibility_entry_end
from kengen.roles.services import role_designate
from kengen.testing import START, org, user_for

pytestmark = pytest.mark.django_db

D = dt.date(2025, 4, 1)


@contextmanager
def nothing_written(*models):
    before = {m: m.objects.count() for m in models}
    yield
    assert {m: m.objects.count() for m in models} == before


def refused(**kwargs):
    """Call the service expecting a RuleViolation that leaves no entry and no event behind."""
    written = nothing_written(EligibilityEntry, EligibilityEntry.units.through, AuditEvent)
    with written, pytest.raises(RuleViolation) as exc:
        eligibility_entry_create(actor=None, valid_from=START, **kwargs)
    return exc.value


@pytest.mark.clause("A5.5")
def test_unit_outside_the_organization_is_refused(world):
    error = refused(organization=world.shokuin, scope=EntryScope.ONLY, units=[world.kazei])

    assert error.clause == "A5.5"
    assert error.field == "units"


@pytest.mark.clause("A5.5")
def test_the_organization_itself_cannot_be_one_of_its_named_units(world):
    error = refused(organization=world.shokuin, scope=EntryScope.EXCEPT, units=[world.shokuin])

    assert error.clause == "A5.5"


@pytest.mark.clause("A5.5")
@pytest.mark.parametrize("scope", [EntryScope.ONLY, EntryScope.EXCEPT])
def test_qualifier_without_units_is_refused(world, scope):
    error = refused(organization=world.shokuin, scope=scope, units=[])

    assert error.clause == "A5.5"
    assert error.field == "units"


@pytest.mark.clause("A5.5")
def test_whole_organization_entry_naming_units_is_refused(world):
    error = refused(organization=world.shokuin, scope=EntryScope.ALL, units=[world.jinji])

    assert error.clause == "A5.5"


@pytest.mark.clause("A5.5")
def test_unknown_qualifier_is_refused(world):
    error = refused(organization=world.shokuin, scope="mostly", units=[world.jinji])

    assert error.clause == "A5.5"


@pytest.mark.clause("AS")
def test_listed_line_that_does_not_match_the_data_is_refused_and_nothing_is_kept(world):
    """The entry and its units are written before the comparison; the refusal rolls them back."""
    error = refused(
        organization=world.shokuin,
        scope=EntryScope.ONLY,
        units=[world.jinji],
        listed_as="総務部職員課(人事係及び給与係に限る。)",
    )

    assert error.clause == "AS"
    assert error.field == "listed_as"
    assert "総務部職員課(人事係に限る。)" in error.message


@pytest.mark.clause("AS")
def test_organization_not_in_force_on_the_start_date_is_refused(world):
    later = org("KOSEI", "厚生係", "section", world.shokuin, valid_from=D)

    with nothing_written(EligibilityEntry, AuditEvent), pytest.raises(RuleViolation) as exc:
        eligibility_entry_create(actor=None, organization=later, valid_from=START)

    assert exc.value.clause == "AS"


@pytest.mark.clause("AS")
def test_listed_line_matching_the_regulation_is_accepted_and_audited(world):
    kyuyo = org("KYUYO", "給与係", "section", world.shokuin)
    configurator = user_for(None, username="config")
    role_designate(actor=None, user=configurator, role="configurator", valid_from=START)

    created = eligibility_entry_create(
        actor=configurator,
        organization=world.shokuin,
        scope=EntryScope.ONLY,
        units=[world.jinji, kyuyo],
        valid_from=START,
        listed_as="総務部職員課(人事係及び給与係に限る。)",
        source="令和6年3月8日内規第50号",
    )

    assert created.listed_as == "総務部職員課(人事係及び給与係に限る。)"
    assert set(created.units.all()) == {world.jinji, kyuyo}
    event = AuditEvent.objects.get(action=AuditAction.ELIGIBILITY_ENTRY_CREATED, target_id=str(created.pk))
    assert event.actor == configurator
    assert event.new["listed_as"] == "総務部職員課(人事係及び給与係に限る。)"
    assert event.new["source"] == "令和6年3月8日内規第50号"


@pytest.mark.clause("AS")
def test_ending_an_entry_keeps_it_with_its_end_date(world):
    created = eligibility_entry_create(actor=None, organization=world.shiminzei, valid_from=START)

    eligibility_entry_end(actor=None, entry=created, on=D, source="令和7年内規")

    created.refresh_from_db()
    assert created.valid_from == START and created.valid_to == D
    assert AuditEvent.objects.filter(
        action=AuditAction.ELIGIBILITY_ENTRY_ENDED, target_id=str(created.pk)
    ).exists()


@pytest.mark.clause("AS")
def test_ending_an_entry_twice_is_a_conflict(world):
    created = eligibility_entry_create(actor=None, organization=world.shiminzei, valid_from=START)
    eligibility_entry_end(actor=None, entry=created, on=D)

    with nothing_written(AuditEvent), pytest.raises(Conflict):
        eligibility_entry_end(actor=None, entry=created, on=D)
    created.refresh_from_db()
    assert created.valid_to == D


@pytest.mark.clause("AS")
def test_an_entry_cannot_end_before_it_starts(world):
    created = eligibility_entry_create(actor=None, organization=world.shiminzei, valid_from=D)

    with nothing_written(AuditEvent), pytest.raises(RuleViolation) as exc:
        eligibility_entry_end(actor=None, entry=created, on=START)

    assert exc.value.clause == "AS"
    created.refresh_from_db()
    assert created.valid_to is None


@pytest.mark.clause("A14")
@pytest.mark.clause("AS")
def test_only_a_configuration_administrator_amends_table2(world):
    from kengen.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        eligibility_entry_create(actor=world.users["joho_head"], organization=world.shokuin, valid_from=START)
    assert not EligibilityEntry.objects.exists()
