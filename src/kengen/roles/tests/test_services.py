"""Designating the roles that do not follow posts: auditor and configuration administrator."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import pytest

from kengen.audit.choices import AuditAction
from kengen.audit.models import AuditEvent
from kengen.core.exceptions import Conflict, PermissionDenied, RuleViolation
from kengen.roles.models import DesignatedRole
from kengen.roles.services import role_designate
from kengen.testing import START, user_for

pytestmark = pytest.mark.django_db

D = dt.date(2025, 4, 1)


@contextmanager
def nothing_written(*models):
    before = {m: m.objects.count() for m in models}
    yield
    assert {m: m.objects.count() for m in models} == before


@pytest.fixture
def configurator(db):
    user = user_for(None, username="config")
    role_designate(actor=None, user=user, role="configurator", valid_from=START)
    return user


def test_configurator_designates_an_auditor_and_it_is_audited(configurator):
    auditor = user_for(None, username="auditor")

    designation = role_designate(
        actor=configurator, user=auditor, role="auditor", valid_from=START, reason="監査委員事務局"
    )

    event = AuditEvent.objects.get(action=AuditAction.ROLE_DESIGNATED, target_id=str(designation.pk))
    assert event.actor == configurator
    assert event.new["role"] == "auditor" and event.new["reason"] == "監査委員事務局"


def test_only_a_configurator_may_designate_roles(world):
    officer = world.users["shokuin_head"]  # holds post roles, not the configurator role

    with nothing_written(DesignatedRole, AuditEvent), pytest.raises(PermissionDenied):
        role_designate(actor=officer, user=officer, role="auditor", valid_from=START)


def test_post_derived_roles_cannot_be_designated(configurator):
    user = user_for(None)

    with nothing_written(DesignatedRole, AuditEvent), pytest.raises(RuleViolation) as exc:
        role_designate(actor=configurator, user=user, role="security_officer", valid_from=START)

    assert exc.value.field == "role"


def test_overlapping_designation_of_the_same_role_is_a_conflict(configurator):
    user = user_for(None)
    role_designate(actor=configurator, user=user, role="auditor", valid_from=START, valid_to=D)

    with nothing_written(DesignatedRole, AuditEvent), pytest.raises(Conflict):
        role_designate(actor=configurator, user=user, role="auditor", valid_from=D - dt.timedelta(days=1))

    assert role_designate(actor=configurator, user=user, role="auditor", valid_from=D).valid_from == D
