"""The shape of a municipality profile: plain, immutable data that ``services.profile_load``
writes through the domain services.

A profile module (``kengen.profiles.kitami``) builds one :class:`Profile` from these records and
exposes it as ``PROFILE``. Nothing here touches the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class UnitDef:
    """One unit of the organization tree and the units below it.

    ``head`` overrides the head post the unit's kind implies (``Profile.head_posts``).
    ``members`` / ``fiscal_year`` fix how many regular staff and fiscal-year appointees the demo
    staff generator puts in the unit (besides its head); ``None`` lets it choose.
    """

    code: str
    name: str
    kana: str
    kind: str
    security: bool = False
    head: str | None = None
    members: int | None = None
    fiscal_year: int | None = None
    children: tuple[UnitDef, ...] = ()

    def walk(self, depth: int = 0) -> Iterator[tuple[UnitDef, UnitDef | None, int]]:
        """Depth-first ``(unit, parent, depth)`` triples, this unit first."""
        yield self, None, depth
        for child in self.children:
            for unit, parent, d in child.walk(depth + 1):
                yield unit, parent or self, d


@dataclass(frozen=True)
class PostDef:
    code: str
    name: str
    kana: str
    is_head: bool
    rank: int


@dataclass(frozen=True)
class SystemDef:
    """A system and the permissions it offers. ``owner`` is a unit code."""

    code: str
    name: str
    kana: str
    kind: str
    owner: str
    specific_personal_info: bool = False
    permissions: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Table2Line:
    """One line of 別表第2 as printed, with the unit it names and its qualifier."""

    listed_as: str
    organization: str
    scope: str = "all"  # "all" | "only" | "except"
    units: tuple[str, ...] = ()


@dataclass(frozen=True)
class AccessRule:
    """Demo data: which staff hold which permissions of a system in the initial management file.

    ``units``: unit codes whose staff (and the staff of the units below) the rule reaches; empty
    means the whole city. ``who``: ``all``, ``heads`` (heads of those units and the units below),
    ``security_heads`` (heads of security units only), ``members`` (everyone but heads), or
    ``one_member`` (the most senior regular non-head member of each security unit).
    ``permissions``: permission codes on ``system``, a system code or ``*`` for every business
    system of the core package.
    """

    system: str
    permissions: tuple[str, ...]
    units: tuple[str, ...] = ()
    who: str = "all"
    fiscal_year: bool = True  # include fiscal-year appointees (grants capped at their end, A7)


@dataclass(frozen=True)
class MaintenanceAccountDef:
    """A maintenance user ID on ``system`` (the core package or a system outside it) and the
    permissions it holds: ``(system code or "*" for every business system, permission codes)``."""

    system: str
    user_id: str
    grants: tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class MaintenanceDef:
    """Demo data: a maintenance worker of a contractor and what they may do (A5.9)."""

    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    accounts: tuple[MaintenanceAccountDef, ...]


@dataclass(frozen=True)
class ContractorDef:
    """Demo data: a contractor, its maintenance staff, and what its contract's consultation with
    the IT division head said (A12.2: ``conditions`` non-empty means agreed with conditions)."""

    name: str
    kana: str
    personnel: tuple[MaintenanceDef, ...] = ()
    consultation: str = "保守業務の委託"
    conditions: str = ""


@dataclass(frozen=True)
class EvidenceDef:
    """Reliability evidence of an external service (A13.1(5)), dated in days relative to the day
    the demo is loaded (``expires_days`` 0: no expiry)."""

    kind: str
    reference: str
    issued_days: int
    expires_days: int = 0


@dataclass(frozen=True)
class ExternalServiceDef:
    """Demo data: an external (cloud) service of a section (A13), assessed and in use when
    ``assessment`` (section → text, the items of A13.1) is given, planned otherwise."""

    name: str
    provider: str
    organization: str  # unit code
    purpose: str
    evidence: tuple[EvidenceDef, ...] = ()
    assessment: tuple[tuple[str, str], ...] = ()
    reassess_months: int = 12


@dataclass(frozen=True)
class DemoLogin:
    """A demo sign-in. ``person`` picks who it belongs to: ``("head", unit code)`` is whoever heads
    the unit, ``("member", unit code)`` its most senior regular non-head member, ``None`` nobody.
    ``description`` says what the sign-in is for; the roles printed are derived from posts."""

    username: str
    description: str
    person: tuple[str, str] | None = None
    is_superuser: bool = False
    designated_role: str | None = None


@dataclass(frozen=True)
class Profile:
    """Everything a municipality profile defines. ``effective`` is the day its tables take effect
    (every unit, system and 別表第2 line starts then); ``source`` names the amendment."""

    name: str
    title: str
    effective: dt.date  # the day the tables take effect
    source: str  # the amendment the tables come from
    city: UnitDef
    posts: tuple[PostDef, ...]
    head_posts: dict[str, str]  # organization kind -> head post code
    core: SystemDef
    business_systems: tuple[SystemDef, ...]  # 別表第1, in order
    systems: tuple[SystemDef, ...]  # two-factor, intermediate, individual systems
    table2: tuple[Table2Line, ...]
    demo_password: str = ""
    demo_logins: tuple[DemoLogin, ...] = ()
    access: tuple[AccessRule, ...] = ()
    two_factor_for: tuple[str, ...] = ()  # holders of these systems get terminal use (A6)
    contractors: tuple[ContractorDef, ...] = ()
    external_services: tuple[ExternalServiceDef, ...] = ()
    family_names: tuple[tuple[str, str], ...] = ()
    given_names: tuple[tuple[str, str], ...] = ()
    #: chance that a leaf unit without an explicit ``fiscal_year`` count gets one appointee
    fiscal_year_chance: float = 0.5
    #: A5.3: a network user registration counts for an appointment when filed no earlier than this
    #: many days before it starts
    network_registration_lead_days: int = 31

    def units(self) -> Iterator[tuple[UnitDef, UnitDef | None, int]]:
        return self.city.walk()

    def head_post_kinds(self, post_code: str) -> tuple[str, ...]:
        """The kinds of unit a head post heads: the kinds it is the default head of, and the kinds
        of the units that name it as their head. Empty for a post that heads nothing here."""
        kinds = [kind for kind, code in self.head_posts.items() if code == post_code]
        kinds += [unit.kind for unit, _parent, _depth in self.units() if unit.head == post_code]
        return tuple(dict.fromkeys(kinds))
