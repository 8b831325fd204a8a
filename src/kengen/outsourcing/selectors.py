"""Reads of the outsourcing register that several places need."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from kengen.core.era import wareki
from kengen.grants.choices import AccountKind
from kengen.grants.models import Account
from kengen.grants.services import MaintenanceLimit
from kengen.outsourcing.choices import ContractStatus
from kengen.outsourcing.models import Contract, ContractStaff, EvidenceFile, ExternalService, Responsibility
from kengen.people.models import Person
from kengen.systems.models import System


def covers_q(system: System, prefix: str = "") -> Q:
    """Contracts (through ``prefix``) covering ``system``'s user IDs: the system or one of its
    business systems."""
    return Q(**{f"{prefix}systems": system}) | Q(**{f"{prefix}systems__parent": system})


def maintenance_limit(person: Person, system: System, valid_from: dt.date) -> MaintenanceLimit | None:
    """A5.9 with A12: maintenance staff belong to a contract. A maintenance staff member is
    registered on ``system`` only under an active contract covering it on ``valid_from`` on whose
    staff list they are, and never beyond its end (nor their own period on it)."""
    rows = ContractStaff.objects.filter(person=person)
    if not rows.exists():
        return MaintenanceLimit(
            until=None,
            reason=_(
                "%(name)s is on no contract. Maintenance staff belong to a contract: add them to the staff "
                "of the contract they work under (委託契約) before registering a user ID or a permission."
            )
            % {"name": person.full_name},
            clause="A5.9",
        )
    ends = [
        min(row.valid_to, row.contract.end)
        for row in rows.filter(
            contract__status=ContractStatus.ACTIVE,
            contract__in=Contract.objects.filter(covers_q(system)).values("pk"),
            valid_from__lte=valid_from,
        ).select_related("contract")
        if min(row.valid_to, row.contract.end) > valid_from
    ]
    if not ends:
        return MaintenanceLimit(
            until=None,
            reason=_("%(name)s works under no active contract covering %(system)s on %(date)s.")
            % {"name": person.full_name, "system": system.name, "date": wareki(valid_from)},
            clause="A5.9",
        )
    until = max(ends)
    return MaintenanceLimit(
        until=until,
        reason=_("Maintenance staff IDs and permissions end with the contract: at the latest on %(date)s.")
        % {"date": wareki(until - dt.timedelta(days=1))},
        clause="A5.9",
    )


@dataclass(frozen=True)
class EligibleStaff:
    """A maintenance staff member who may be given a user ID on a system (A5.9, A8.8): the
    contract they work under covering it, and the first day after their time on it ends."""

    person: Person
    contract: Contract
    valid_from: dt.date
    until: dt.date

    @property
    def last_day(self) -> dt.date:
        return self.until - dt.timedelta(days=1)


def maintenance_eligible(people: QuerySet[Person], system: System, on: dt.date) -> list[EligibleStaff]:
    """A5.9, A8.8: of ``people``, those on the staff of an active contract covering ``system``
    whose time on it has not ended on ``on`` (starting then or later), each with the contract
    reaching furthest — exactly those ``maintenance_limit`` lets be registered, so a page can offer
    only them. One query, ordered by kana name."""
    root = system.account_system
    rows = (
        ContractStaff.objects.filter(
            person__in=people.values("pk"),
            contract__status=ContractStatus.ACTIVE,
            contract__in=Contract.objects.filter(covers_q(root)).values("pk"),
            valid_to__gt=on,
            contract__valid_to__gt=on,
        )
        .filter(Q(contract__ended_on__isnull=True) | Q(contract__ended_on__gt=on))
        .select_related("person__contractor", "contract")
        .order_by("person__family_name_kana", "person__given_name_kana", "person_id")
    )
    best: dict[int, EligibleStaff] = {}
    for row in rows:
        until = min(row.valid_to, row.contract.end)
        start = max(row.valid_from, on)
        current = best.get(row.person_id)
        if current is None or (start, -until.toordinal()) < (current.valid_from, -current.until.toordinal()):
            best[row.person_id] = EligibleStaff(row.person, row.contract, start, until)
    return list(best.values())


def contract_accounts(contract: Contract) -> QuerySet[Account]:
    """The maintenance staff IDs of the contract's staff on the systems it covers (A5.9, A8.8)."""
    systems = contract.systems.values("pk")
    return (
        Account.objects.filter(
            kind=AccountKind.MAINTENANCE,
            person__in=ContractStaff.objects.filter(contract=contract).values("person"),
        )
        .filter(Q(system__in=systems) | Q(system__business_systems__in=systems))
        .distinct()
        .select_related("system", "person")
        .order_by("person__family_name_kana", "system__sort_order", "user_id")
    )


@dataclass(frozen=True)
class MatrixRow:
    """One contractor's part on one system (A12.1(3))."""

    system: System
    contract: Contract
    responsibility: Responsibility | None


def responsibility_matrix(
    contracts: QuerySet[Contract], *, on: dt.date
) -> list[tuple[System, list[MatrixRow]]]:
    """Per system, every contract in force on ``on`` that covers it, with its recorded
    responsibility (``None`` where it is missing: to be made clear when several contractors work
    on it)."""
    current = contracts.filter(valid_from__lte=on, valid_to__gt=on).exclude(status=ContractStatus.ENDED)
    recorded = {
        (r.contract_id, r.system_id): r
        for r in Responsibility.objects.filter(contract__in=current.values("pk"))
    }
    by_system: dict[int, tuple[System, list[MatrixRow]]] = {}
    for contract in current.select_related("contractor").prefetch_related("systems"):
        for system in contract.systems.all():
            entry = by_system.setdefault(system.pk, (system, []))
            entry[1].append(MatrixRow(system, contract, recorded.get((contract.pk, system.pk))))
    return sorted(by_system.values(), key=lambda e: (e[0].sort_order, e[0].code))


def visible_evidence_files(user: object) -> QuerySet[EvidenceFile]:
    """Evidence files of the contracts and services ``user`` may see (A12.1(2), A13.1(5))."""
    return EvidenceFile.objects.filter(
        Q(checklist_entry__contract__in=Contract.objects.restrict(user).values("pk"))
        | Q(reliability__service__in=ExternalService.objects.restrict(user).values("pk"))
    )
