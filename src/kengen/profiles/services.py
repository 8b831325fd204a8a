"""Loading a municipality profile (the regulation's tables, and optionally demo staff) into an
empty database, all through the domain services, in one transaction (AS, A14).

``profile_load(name="kitami")`` writes, in order: posts, the organization tree, the systems of
別表第1 and the others (A2.1, A3), the lines of 別表第2 (A5.5), and, with ``demo_staff``, synthetic
people with appointments and assignments, their user IDs and grants (fiscal-year appointees'
grants capped at their appointment's end, A7), the demo sign-ins, then the contractors: each
contract registered, consulted with the IT division head and activated by the demo officers before
its maintenance staff get user IDs ending with it (A12.2, A5.9), and the external services (A13).
It records one ``PROFILE_LOADED`` audit event and refuses to load twice.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kengen.applications.services import network_registration_record
from kengen.audit.choices import AuditAction
from kengen.audit.services import audit_record
from kengen.contractors.services import contractor_create
from kengen.core.dates import fiscal_year_period
from kengen.core.era import wareki
from kengen.core.exceptions import Conflict, RuleViolation
from kengen.core.types import Actor
from kengen.eligibility.services import eligibility_entry_create
from kengen.grants.services import account_create, grant_create
from kengen.organizations.models import Organization, Post
from kengen.organizations.selectors import OrgTree
from kengen.organizations.services import OrganizationSpec, organization_create
from kengen.outsourcing.services import (
    assessment_record,
    consultation_complete,
    consultation_create,
    consultation_submit,
    contract_activate,
    contract_create,
    contract_staff_add,
    evidence_add,
    it_division_heads,
    service_create,
    service_start_use,
)
from kengen.people.models import Person
from kengen.people.services import appointment_start, assignment_start, person_create, personnel_policy_update
from kengen.profiles.demo_staff import StaffPlan, plan_staff
from kengen.profiles.registry import get_profile
from kengen.profiles.schema import Profile, SystemDef, UnitDef
from kengen.profiles.selectors import profile_load_event
from kengen.roles.selectors import security_officers_for
from kengen.roles.services import role_designate
from kengen.systems.choices import SystemKind
from kengen.systems.models import System, SystemPermission
from kengen.systems.services import system_create
from kengen.users.models import User
from kengen.users.services import user_create

#: ``basis_reference`` of the grants the demo loads as the existing management file.
INITIAL_LOAD_REFERENCE = "既存管理ファイル移行(デモデータ)"


@transaction.atomic
def post_create(
    *,
    actor: Actor,
    code: str,
    name: str,
    kana: str = "",
    is_head: bool = False,
    rank: int = 100,
    unit_kinds: tuple[str, ...] = (),
) -> Post:
    """Define a post (職). ``is_head`` posts make their holder the head of the unit, and so the
    holder of the unit's roles (security officer, system administrator: A3, A4)."""
    code = code.strip()
    if not code or not name.strip():
        raise RuleViolation(_("A post needs a code and a name."), field="code" if not code else "name")
    if Post.objects.filter(code=code).exists():
        raise Conflict(_("Post code %(code)s is already used.") % {"code": code}, field="code")
    post = Post.objects.create(
        code=code, name=name.strip(), kana=kana, is_head=is_head, rank=rank, unit_kinds=list(unit_kinds)
    )
    audit_record(
        actor=actor,
        action=AuditAction.POST_CREATED,
        target=post,
        new={
            "code": code,
            "name": post.name,
            "kana": kana,
            "is_head": is_head,
            "rank": rank,
            "unit_kinds": list(unit_kinds),
        },
    )
    return post


@dataclass
class LoadSummary:
    """What ``profile_load`` wrote."""

    profile: str
    title: str
    effective: dt.date
    demo_staff: bool
    posts: int = 0
    organizations: int = 0
    systems: int = 0
    permissions: int = 0
    table2_entries: int = 0
    people: int = 0
    fiscal_year_appointees: int = 0
    contractors: int = 0
    contracts: int = 0
    maintenance_staff: int = 0
    external_services: int = 0
    accounts: int = 0
    grants: int = 0
    users: int = 0
    viewing_ids: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


# --- Tables ------------------------------------------------------------------------------------


def _load_posts(profile: Profile) -> dict[str, Post]:
    return {
        # A head post is held only in the kinds of unit it heads (AS); other posts anywhere.
        p.code: post_create(
            actor=None,
            code=p.code,
            name=p.name,
            kana=p.kana,
            is_head=p.is_head,
            rank=p.rank,
            unit_kinds=profile.head_post_kinds(p.code) if p.is_head else (),
        )
        for p in profile.posts
    }


def _load_organizations(profile: Profile) -> dict[str, Organization]:
    orgs: dict[str, Organization] = {}

    def create(unit: UnitDef, parent: Organization | None, sort_order: int) -> None:
        spec = OrganizationSpec(
            code=unit.code,
            name=unit.name,
            kind=unit.kind,
            parent=parent,
            kana=unit.kana,
            is_security_unit=unit.security,
            sort_order=sort_order,
        )
        org = organization_create(actor=None, spec=spec, valid_from=profile.effective)
        orgs[unit.code] = org
        for i, child in enumerate(unit.children, start=1):
            create(child, org, i * 10)

    create(profile.city, None, 0)
    return orgs


def _load_systems(profile: Profile, orgs: dict[str, Organization]) -> dict[str, System]:
    def create(sd: SystemDef, *, parent: System | None = None, sort_order: int) -> System:
        return system_create(
            actor=None,
            code=sd.code,
            name=sd.name,
            kind=sd.kind,
            owner=orgs[sd.owner],
            valid_from=profile.effective,
            parent=parent,
            kana=sd.kana,
            handles_specific_personal_info=sd.specific_personal_info,
            permissions=sd.permissions,
            sort_order=sort_order,
        )

    core = create(profile.core, sort_order=0)
    systems = {core.code: core}
    for i, sd in enumerate(profile.business_systems, start=1):  # 別表第1, in order (A2.1)
        systems[sd.code] = create(sd, parent=core, sort_order=i)
    for i, sd in enumerate(profile.systems, start=1):
        systems[sd.code] = create(sd, sort_order=100 + i * 10)
    return systems


def _load_table2(profile: Profile, orgs: dict[str, Organization]) -> int:
    for i, line in enumerate(profile.table2, start=1):
        eligibility_entry_create(
            actor=None,
            organization=orgs[line.organization],
            valid_from=profile.effective,
            scope=line.scope,
            units=[orgs[c] for c in line.units],
            listed_as=line.listed_as,
            source=profile.source,
            sort_order=i,
        )
    return len(profile.table2)


# --- Demo staff --------------------------------------------------------------------------------


@dataclass
class _Staff:
    plan: StaffPlan
    person: Person
    org: Organization
    start: dt.date  # first day of the assignment (and of their user IDs)


def _load_people(
    profile: Profile,
    posts: dict[str, Post],
    orgs: dict[str, Organization],
    fiscal_year: tuple[dt.date, dt.date],
) -> list[_Staff]:
    staff: list[_Staff] = []
    for plan in plan_staff(profile, fiscal_year=fiscal_year):
        person = person_create(
            actor=None,
            family_name=plan.family_name,
            given_name=plan.given_name,
            family_name_kana=plan.family_name_kana,
            given_name_kana=plan.given_name_kana,
            staff_number=plan.staff_number,
            email=f"k{plan.staff_number}@{profile.name}.example",
        )
        appointment_start(
            actor=None,
            person=person,
            employment_type=plan.employment_type,
            valid_from=plan.appointed_from,
            valid_to=plan.appointed_to,
        )
        if plan.is_fiscal_year:  # A5.3: filed before any Form 1 grant
            network_registration_record(
                actor=None, person=person, filed_on=plan.appointed_from, reference=f"NW-{plan.staff_number}"
            )
        start = max(plan.appointed_from, profile.effective)
        org = orgs[plan.unit]
        assignment_start(
            actor=None,
            person=person,
            organization=org,
            post=posts[plan.post],
            valid_from=start,
            valid_to=plan.appointed_to,
        )
        staff.append(_Staff(plan, person, org, start))
    return staff


def _wanted_permissions(
    profile: Profile, staff: list[_Staff], tree: OrgTree, systems: dict[str, System]
) -> dict[int, dict[str, list[SystemPermission]]]:
    """person id -> account system code -> permissions, from the profile's access rules."""
    perms = {(p.system.code, p.code): p for p in SystemPermission.objects.select_related("system")}
    business = [sd.code for sd in profile.business_systems]
    wanted: dict[int, dict[str, dict[int, SystemPermission]]] = defaultdict(lambda: defaultdict(dict))

    def add(member: _Staff, system_code: str, codes: tuple[str, ...]) -> None:
        for target in business if system_code == "*" else [system_code]:
            system = systems[target]
            for code in codes:
                perm = perms[(target, code)]
                wanted[member.person.pk][system.account_system.code][perm.pk] = perm

    for rule in profile.access:
        reach = (
            tree.descendant_ids([o.id for o in tree.by_id.values() if o.code in rule.units])
            if rule.units
            else set(tree.by_id)
        )
        members = [s for s in staff if s.org.id in reach and (rule.fiscal_year or not s.plan.is_fiscal_year)]
        if rule.who == "heads":
            members = [s for s in members if s.plan.is_head]
        elif rule.who == "security_heads":
            members = [s for s in members if s.plan.is_head and s.org.is_security_unit]
        elif rule.who == "members":
            members = [s for s in members if not s.plan.is_head]
        elif rule.who == "one_member":
            chosen: dict[int, _Staff] = {}
            for s in members:  # staff are in staff-number (seniority) order
                unit = tree.security_unit_of(s.org.id)
                if unit is not None and not s.plan.is_head and not s.plan.is_fiscal_year:
                    chosen.setdefault(unit.id, s)
            members = list(chosen.values())
        elif rule.who != "all":
            raise RuleViolation(f"Unknown access rule selector {rule.who!r}.")
        for s in members:
            add(s, rule.system, rule.permissions)

    two_factor = next(s for s in systems.values() if s.kind == "two_factor")
    terminal = next(p for (code, _c), p in perms.items() if code == two_factor.code)
    for per_system in wanted.values():
        if any(code in profile.two_factor_for for code in per_system):
            per_system[two_factor.code][terminal.pk] = terminal
    return {pid: {code: list(ps.values()) for code, ps in d.items()} for pid, d in wanted.items()}


def _load_accounts(
    profile: Profile, staff: list[_Staff], orgs: dict[str, Organization], systems: dict[str, System]
) -> tuple[int, int]:
    tree = OrgTree(profile.effective, orgs.values())
    wanted = _wanted_permissions(profile, staff, tree, systems)
    order = {code: s.sort_order for code, s in systems.items()}
    accounts = grants = 0
    for s in staff:
        for code in sorted(wanted.get(s.person.pk, {}), key=order.__getitem__):
            account = account_create(
                actor=None,
                system=systems[code],
                user_id=f"k{s.plan.staff_number}",
                valid_from=s.start,
                person=s.person,
            )
            accounts += 1
            for perm in sorted(wanted[s.person.pk][code], key=lambda p: (order[p.system.code], p.sort_order)):
                grant_create(
                    actor=None,
                    account=account,
                    permission=perm,
                    valid_from=s.start,
                    # A7: a fixed-term appointee's grants end with the appointment.
                    valid_to=s.plan.appointed_to,
                    purpose="duties",
                    basis="initial_load",
                    basis_reference=INITIAL_LOAD_REFERENCE,
                )
                grants += 1
    return accounts, grants


def _demo_user(people: Iterable[Person]) -> User:
    """The demo sign-in of one of ``people`` (the profile gives each officer the loader needs one)."""
    user = User.objects.filter(person__in=[p.pk for p in people], is_active=True).order_by("pk").first()
    if user is None:
        names = ", ".join(p.full_name for p in people)
        raise RuleViolation(f"The demo needs a sign-in for {names}.")
    return user


def _consulted(officer: User, it_head: User, *, answer: str, comment: str, reason: str, **about: Any) -> None:
    """A consultation with the IT division head drafted, submitted and answered (A12.2, A13.2)."""
    consultation = consultation_create(actor=officer, reason=reason, **about)
    consultation_submit(actor=officer, application=consultation)
    consultation_complete(actor=it_head, application=consultation, answer=answer, comment=comment)


def _load_contractors(
    profile: Profile, systems: dict[str, System], fiscal_year: tuple[dt.date, dt.date], today: dt.date
) -> tuple[int, int, int, int, int]:
    """Contractors and their maintenance staff, registered for the contract year (A5.9).
    Returns the numbers of contractors, contracts, maintenance staff, user IDs and grants.

    Maintenance staff belong to a contract: each contractor's contract is registered by the
    security officer of the section owning the systems, consulted with the IT division head
    (A12.2), activated, and only then are its staff given user IDs and permissions ending with it.
    The officers and the IT division head act through their demo sign-ins."""
    start, end = fiscal_year
    start = max(start, profile.effective)
    contract = f"{wareki(fiscal_year[0], style='year')}度保守業務委託契約"  # e.g. 令和8年度…
    business = [sd.code for sd in profile.business_systems]
    people = accounts = grants = contracts = 0
    it_head = _demo_user(it_division_heads(today)) if profile.contractors else None
    for cd in profile.contractors:
        contractor = contractor_create(actor=None, name=cd.name, kana=cd.kana)
        covered = {ad.system: systems[ad.system] for md in cd.personnel for ad in md.accounts}
        register = None
        if covered and it_head is not None:
            organization = next(iter(covered.values())).owner
            officer = _demo_user(security_officers_for(organization.pk, today))
            register = contract_create(
                actor=officer,
                contractor=contractor,
                title=contract,
                work="maintenance",
                systems=list(covered.values()),
                organization=organization,
                valid_from=start,
                valid_to=end,
            )
            _consulted(
                officer,
                it_head,
                contract=register,
                reason=cd.consultation,
                answer="conditions" if cd.conditions else "agree",
                comment=cd.conditions,
            )
            register = contract_activate(actor=officer, contract=register)
            contracts += 1
        for md in cd.personnel:
            person = person_create(
                actor=None,
                kind="maintenance",
                contractor=contractor,
                family_name=md.family_name,
                given_name=md.given_name,
                family_name_kana=md.family_name_kana,
                given_name_kana=md.given_name_kana,
            )
            people += 1
            if register is None:
                continue  # A5.9: no contract, no user ID
            contract_staff_add(actor=None, contract=register, person=person)
            for ad in md.accounts:
                account = account_create(
                    actor=None,
                    system=systems[ad.system],
                    user_id=ad.user_id,
                    valid_from=start,
                    valid_to=end,
                    person=person,
                    kind="maintenance",
                )
                accounts += 1
                for system_code, codes in ad.grants:
                    for target in business if system_code == "*" else [system_code]:
                        for code in codes:
                            grant_create(
                                actor=None,
                                account=account,
                                permission=systems[target].permissions.get(code=code),
                                valid_from=start,
                                valid_to=end,
                                purpose="duties",
                                basis="maintenance",
                                basis_reference=contract,
                            )
                            grants += 1
    return len(profile.contractors), contracts, people, accounts, grants


def _load_external_services(profile: Profile, orgs: dict[str, Organization], today: dt.date) -> int:
    """External (cloud) services (A13): each registered by its section's security officer, with
    its reliability evidence dated relative to ``today`` (so one can be about to expire), and —
    when ``assessed`` — assessed, consulted with the IT division head and put into use."""
    if not profile.external_services:
        return 0
    it_head = _demo_user(it_division_heads(today))
    for sd in profile.external_services:
        organization = orgs[sd.organization]
        officer = _demo_user(security_officers_for(organization.pk, today))
        service = service_create(
            actor=officer,
            name=sd.name,
            provider=sd.provider,
            organization=organization,
            purpose=sd.purpose,
            reassess_months=sd.reassess_months,
        )
        for ed in sd.evidence:
            evidence_add(
                actor=officer,
                service=service,
                kind=ed.kind,
                reference=ed.reference,
                issued_on=today + dt.timedelta(days=ed.issued_days),
                expires_on=today + dt.timedelta(days=ed.expires_days) if ed.expires_days else None,
            )
        if sd.assessment:
            assessment_record(
                actor=officer,
                service=service,
                assessed_on=today - dt.timedelta(days=30),
                may_entrust=True,
                **dict(sd.assessment),
            )
            _consulted(officer, it_head, service=service, reason=sd.purpose, answer="agree", comment="")
            service_start_use(actor=officer, service=service, on=today - dt.timedelta(days=14))
    return len(profile.external_services)


def _load_viewing_demo(
    profile: Profile, systems: dict[str, System], fiscal_year: tuple[dt.date, dt.date]
) -> tuple[int, int]:
    """A lendable viewing ID out of the box (issue 11, A11.2–A11.4): a viewing ID can be lent only
    on a system whose passwords Kengen holds (it sets a fresh one at each lending), and every
    system of a profile keeps its own by default. The demo makes the first individual system with
    specific personal information (else the first individual one) hold its passwords in Kengen and
    registers one viewing ID on it, for its owner's terminals, with its inquiry permission."""
    from kengen.credentials.choices import CredentialMode
    from kengen.credentials.services import credential_policy_set
    from kengen.systems.models import user_id_problem
    from kengen.viewing.services import viewing_id_create

    individual = [sd for sd in profile.systems if sd.kind == SystemKind.INDIVIDUAL]
    chosen = next((sd for sd in individual if sd.specific_personal_info), None) or next(
        iter(individual), None
    )
    if chosen is None:
        return 0, 0
    system = systems[chosen.code]
    perms = list(system.permissions.filter(code="inquiry")) or list(system.permissions.order_by("pk")[:1])
    user_id = next(
        (uid for uid in ("ETSURAN01", "V0001", "900001") if user_id_problem(system, uid) is None), None
    )
    if not perms or user_id is None:
        return 0, 0
    credential_policy_set(actor=None, system=system, mode=CredentialMode.KENGEN)
    viewing_id_create(
        actor=None,
        system=system,
        user_id=user_id,
        holder_organization=system.owner,
        permissions=perms,
        valid_from=fiscal_year[0],
        reference=_("Demo viewing ID (lendable: Kengen holds this system's passwords)"),
    )
    return 1, len(perms)


def _load_demo_logins(profile: Profile, staff: list[_Staff]) -> int:
    heads = {s.plan.unit: s for s in staff if s.plan.is_head}
    members: dict[str, _Staff] = {}
    for s in staff:  # staff-number (seniority) order
        if not s.plan.is_head and not s.plan.is_fiscal_year:
            members.setdefault(s.plan.unit, s)
    for login in profile.demo_logins:
        holder = None
        if login.person is not None:
            how, code = login.person
            holder = (heads if how == "head" else members).get(code)
            if holder is None:
                raise RuleViolation(f"Demo sign-in {login.username}: nobody is the {how} of {code}.")
        user = user_create(
            actor=None,
            username=login.username,
            password=profile.demo_password,
            person=holder.person if holder else None,
            is_superuser=login.is_superuser,
        )
        if login.designated_role:
            role_designate(
                actor=None,
                user=user,
                role=login.designated_role,
                valid_from=holder.start if holder else profile.effective,
                reason="デモ用サインイン",
            )
    return len(profile.demo_logins)


# --- The loader --------------------------------------------------------------------------------


@transaction.atomic
def profile_load(
    *, name: str = "kitami", demo_staff: bool = True, today: dt.date | None = None
) -> LoadSummary:
    """Load profile ``name`` into an empty database, all or nothing.

    Without ``demo_staff`` only the regulation's tables are loaded (organizations, posts, systems,
    別表第2): the starting point for a municipality's own data. With it, synthetic staff for the
    fiscal year containing ``today`` (default: today in Asia/Tokyo) and the demo sign-ins too.
    Refuses (``Conflict``) if the profile was already loaded or the database already holds an
    organization tree.
    """
    profile = get_profile(name)
    today = today or timezone.localdate()
    previous = profile_load_event(name)
    if previous is not None:
        raise Conflict(
            _("The %(name)s profile was already loaded (audit event #%(seq)s).")
            % {"name": name, "seq": previous.seq}
        )
    if Organization.objects.exists():
        raise Conflict(
            _("The database already holds an organization tree; a profile loads only into an empty one.")
        )
    if demo_staff and today < profile.effective:
        raise RuleViolation(
            _(
                "The demo staff start on %(date)s, when the profile takes effect; "
                "load them on or after that day."
            )
            % {"date": profile.effective.isoformat()},
            clause="AS",
        )

    summary = LoadSummary(
        profile=profile.name,
        title=profile.title,
        effective=profile.effective,
        demo_staff=demo_staff,
    )
    personnel_policy_update(actor=None, network_registration_lead_days=profile.network_registration_lead_days)
    posts = _load_posts(profile)
    orgs = _load_organizations(profile)
    systems = _load_systems(profile, orgs)
    summary.posts = len(posts)
    summary.organizations = len(orgs)
    summary.systems = len(systems)
    summary.permissions = SystemPermission.objects.filter(system__in=systems.values()).count()
    summary.table2_entries = _load_table2(profile, orgs)

    if demo_staff:
        fiscal_year = fiscal_year_period(today)
        staff = _load_people(profile, posts, orgs, fiscal_year)
        summary.people = len(staff)
        summary.fiscal_year_appointees = sum(1 for s in staff if s.plan.is_fiscal_year)
        summary.accounts, summary.grants = _load_accounts(profile, staff, orgs, systems)
        summary.users = _load_demo_logins(profile, staff)
        contractors, contracts, maintenance, accounts, grants = _load_contractors(
            profile, systems, fiscal_year, today
        )
        summary.contractors = contractors
        summary.contracts = contracts
        summary.maintenance_staff = maintenance
        summary.accounts += accounts
        summary.grants += grants
        summary.external_services = _load_external_services(profile, orgs, today)
        summary.viewing_ids, viewing_grants = _load_viewing_demo(profile, systems, fiscal_year)
        summary.accounts += summary.viewing_ids
        summary.grants += viewing_grants

    audit_record(
        actor=None,
        action=AuditAction.PROFILE_LOADED,
        target_label=f"{profile.title} ({profile.name})",
        new={"source": profile.source, **summary.as_dict()},
        application_ref=profile.source,
    )
    return summary
