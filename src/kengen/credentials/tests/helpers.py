"""Building credential test state through the real services."""

from __future__ import annotations

from kengen.credentials.choices import CredentialMode
from kengen.credentials.services import (
    credential_policy_set,
    temporary_password_issue,
    temporary_password_reveal,
)
from kengen.grants.choices import GrantBasis
from kengen.grants.services import account_create, grant_create
from kengen.notifications.models import Notification
from kengen.testing import START

STRONG = "kitchen lantern orbit 7 meadow"
STRONG_2 = "violet harbour crossing 19 north"
STRONG_3 = "seven quiet ravens over copper hill"


def hold_in_kengen(world, system, admin_key: str = "joho_head", **values):
    return credential_policy_set(
        actor=world.users[admin_key], system=system, mode=CredentialMode.KENGEN, **values
    )


def personal_account(
    world, system, person_key: str, user_id: str, perms=("inquiry",), perm_system=None, valid_to=None
):
    account = account_create(
        actor=None,
        system=system.account_system,
        user_id=user_id,
        person=world.people[person_key],
        valid_from=START,
        valid_to=valid_to,
    )
    for code in perms:
        grant_create(
            actor=None,
            account=account,
            permission=(perm_system or system).permissions.get(code=code),
            valid_from=START,
            valid_to=valid_to,
            basis=GrantBasis.INITIAL_LOAD,
        )
    return account


def reveal_token(account) -> str:
    note = Notification.objects.filter(clause="A8.3", target_id=str(account.pk)).latest("id")
    return note.link.split("#", 1)[1]  # the token travels in the fragment (issue 10)


def issue_and_reveal(world, account, admin_key: str = "joho_head", officer_key: str = "shokuin_head") -> str:
    temporary_password_issue(actor=world.users[admin_key], account=account)
    return temporary_password_reveal(actor=world.users[officer_key], token=reveal_token(account))
