"""The catalogue of systems (A2.1): the core package, its business systems, individual systems."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from django.db import IntegrityError, transaction

from kengen.audit.choices import AuditAction
from kengen.audit.models import AuditEvent
from kengen.core.exceptions import Conflict, RuleViolation
from kengen.systems.choices import SystemKind
from kengen.systems.models import System, SystemPermission
from kengen.systems.services import system_create, system_permission_create
from kengen.testing import START

pytestmark = pytest.mark.django_db


@contextmanager
def nothing_written(*models):
    before = {m: m.objects.count() for m in models}
    yield
    assert {m: m.objects.count() for m in models} == before


def create(world, code, kind, parent=None, permissions=()):
    return system_create(
        actor=None,
        code=code,
        name=code,
        kind=kind,
        owner=world.joho,
        valid_from=START,
        parent=parent,
        permissions=permissions,
    )


@pytest.mark.clause("A2.1")
def test_business_system_belongs_to_the_core_package_and_issues_ids_there(world):
    core, tax = world.core()

    assert tax.parent == core
    assert tax.account_system == core
    assert core.account_system == core
    assert list(core.business_systems.all()) == [tax]


@pytest.mark.clause("A2.1")
def test_business_system_without_the_core_package_is_refused(world):
    with nothing_written(System, AuditEvent), pytest.raises(RuleViolation) as exc:
        create(world, "CK-JUKI", SystemKind.CORE_BUSINESS)

    assert exc.value.clause == "A2.1"
    assert exc.value.field == "parent"


@pytest.mark.clause("A2.1")
def test_only_business_systems_have_a_parent(world):
    core, _ = world.core()

    with nothing_written(System, AuditEvent), pytest.raises(RuleViolation) as exc:
        create(world, "SUB", SystemKind.INDIVIDUAL, parent=core)

    assert exc.value.clause == "A2.1"


@pytest.mark.clause("A2.1")
def test_business_system_of_something_other_than_the_core_package_is_refused(world):
    individual = create(world, "IND", SystemKind.INDIVIDUAL)

    with nothing_written(System, AuditEvent), pytest.raises(RuleViolation) as exc:
        create(world, "CK-X", SystemKind.CORE_BUSINESS, parent=individual)

    assert exc.value.clause == "A2.1"


@pytest.mark.clause("A2.1")
def test_core_package_offers_no_permissions_of_its_own(world):
    core, _ = world.core()

    with nothing_written(SystemPermission, AuditEvent), pytest.raises(RuleViolation) as exc:
        system_permission_create(actor=None, system=core, code="inquiry", name="照会")

    assert exc.value.clause == "A2.1"


def test_system_code_and_permission_code_are_unique(world):
    system = create(world, "IND", SystemKind.INDIVIDUAL, permissions=[("inquiry", "照会")])

    with nothing_written(System, AuditEvent), pytest.raises(Conflict):
        create(world, "IND", SystemKind.INDIVIDUAL)
    with nothing_written(SystemPermission, AuditEvent), pytest.raises(Conflict):
        system_permission_create(actor=None, system=system, code="inquiry", name="照会(重複)")


def test_unknown_kind_is_refused(world):
    with nothing_written(System), pytest.raises(RuleViolation) as exc:
        create(world, "X", "mainframe")

    assert exc.value.field == "kind"


def test_registration_and_its_permissions_are_audited(world):
    system = create(
        world, "IND", SystemKind.INDIVIDUAL, permissions=[("inquiry", "照会"), ("update", "更新")]
    )

    assert AuditEvent.objects.filter(action=AuditAction.SYSTEM_CREATED, target_id=str(system.pk)).exists()
    assert AuditEvent.objects.filter(action=AuditAction.SYSTEM_PERMISSION_CREATED).count() == 2
    assert list(system.permissions.values_list("code", "sort_order")) == [
        ("inquiry", 0),
        ("update", 1),
    ]


@pytest.mark.clause("A2.1")
def test_database_refuses_a_business_system_without_a_parent(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        System.objects.create(
            code="RAW",
            name="RAW",
            kind=SystemKind.CORE_BUSINESS,
            owner=world.joho,
            valid_from=START,
        )
