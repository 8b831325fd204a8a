"""Has a profile been loaded, and who are its demo sign-ins?"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from kengen.audit.choices import AuditAction
from kengen.audit.models import AuditEvent
from kengen.organizations.selectors import OrgTree
from kengen.profiles.schema import DemoLogin, Profile
from kengen.roles.selectors import scope_for
from kengen.users.models import User


def profile_load_event(name: str) -> AuditEvent | None:
    """The audit event that recorded loading profile ``name``, if it was ever loaded."""
    return (
        AuditEvent.objects.filter(action=AuditAction.PROFILE_LOADED, new__profile=name)
        .order_by("seq")
        .first()
    )


@dataclass(frozen=True)
class DemoSignIn:
    login: DemoLogin
    user: User | None  # None when the demo staff were not loaded
    position: str  # e.g. 企画財政部DX推進室情報システム課 課長
    roles: list[str]


def demo_sign_ins(profile: Profile, *, on: dt.date) -> list[DemoSignIn]:
    """The profile's demo sign-ins with the roles each one holds on ``on``, derived from posts."""
    tree = OrgTree(on)
    users = {
        u.username: u for u in User.objects.filter(username__in=[d.username for d in profile.demo_logins])
    }
    rows: list[DemoSignIn] = []
    for login in profile.demo_logins:
        user = users.get(login.username)
        position = ""
        roles: list[str] = []
        if user is not None:
            if user.is_superuser:
                roles.append(_("Superuser (everything)"))
            if user.person is not None:
                position = "、".join(
                    f"{tree.full_name(a.organization_id)} {a.post.name}"
                    for a in user.person.assignments_on(on)
                    if a.organization_id in tree.by_id
                )
            roles += [
                f"{h.role_label}: {h.label}" if h.label and h.label != h.role_label else h.role_label
                for h in scope_for(user, on=on).holdings
            ]
        rows.append(DemoSignIn(login=login, user=user, position=position, roles=roles))
    return rows
