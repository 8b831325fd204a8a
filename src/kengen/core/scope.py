"""Where ``restrict`` and the configuration guard get a user's scope from, without core knowing who
computes it.

core is the ground floor: it imports no other Kengen app. The roles app derives scopes from posts
(``roles.selectors.scope_for``) and registers that function here in its ``AppConfig.ready``; core
only calls whatever is registered. Until something is registered, every scope lookup refuses
(deny by default).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Protocol


class ScopeLike(Protocol):
    """What core and the apps' ``restrict_to_scope`` read of a scope (the full one is
    ``roles.selectors.Scope``)."""

    user_id: int | None
    person_id: int | None
    date: dt.date
    is_superuser: bool
    is_auditor: bool
    is_configurator: bool
    is_personnel: bool
    officer_unit_ids: set[int]
    officer_org_ids: set[int]
    administered_system_ids: set[int]
    central_roles: set[str]

    @property
    def sees_everything(self) -> bool: ...

    @property
    def is_core_admin(self) -> bool: ...

    @property
    def is_central_admin(self) -> bool: ...


ScopeResolver = Callable[..., Any]

_resolver: ScopeResolver | None = None


def register_scope_resolver(resolver: ScopeResolver) -> None:
    """Install the function that answers ``scope_of(user, on=…)`` (called once, by roles)."""
    global _resolver
    _resolver = resolver


def scope_of(user: Any, on: dt.date | None = None) -> Any:
    """The scope of ``user`` on ``on`` (today by default), from the registered resolver."""
    if _resolver is None:
        raise RuntimeError("No scope resolver is registered: is kengen.roles in INSTALLED_APPS?")
    return _resolver(user) if on is None else _resolver(user, on=on)


def units_in_scope(scope: ScopeLike) -> set[int] | None:
    """The units a user's lists may be narrowed to (the 所属 filter), ``None`` for every unit.

    Every unit for whoever reads across units: auditors and superusers, the configuration and
    personnel staff, and system administrators (their systems' users sit anywhere). A security
    officer (a 課長) gets the units of their section and below; anyone else no unit (they see
    only their own rows, so there is nothing to narrow)."""
    if scope.sees_everything or scope.is_configurator or scope.is_personnel:
        return None
    if scope.administered_system_ids or scope.central_roles:
        return None
    return set(scope.officer_org_ids)
