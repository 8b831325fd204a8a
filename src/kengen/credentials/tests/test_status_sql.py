"""The password list pages in the database (CONVENTIONS 14): ``with_password_status`` computes
each user ID's password state in SQL exactly as ``Credential.status`` does in Python — every state,
each system's reminder days — so the list filters and pages there and builds only the page shown."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from kengen.credentials.choices import CredentialStatus
from kengen.credentials.models import Credential
from kengen.credentials.selectors import credential_rows, with_password_status
from kengen.credentials.tests.helpers import hold_in_kengen, personal_account
from kengen.grants.models import Account
from kengen.testing import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def states(core):
    """One user ID in each password state on COKAS (reminder 7 days here) and on the HR system
    (the default reminder, 14 days), right at the edges of the reminder and expiry."""
    now = timezone.now()
    hold_in_kengen(core, core.core_system, reminder_days=7)
    hr = core.system("HR", "人事給与システム", owner=core.joho)
    day = dt.timedelta(days=1)
    second = dt.timedelta(seconds=1)
    wanted = {
        "none-no-row": None,
        "none-empty": {"verifier": "", "changed_at": None},
        "temporary": {"verifier": "x", "is_temporary": True, "temporary_expires_at": now + day},
        "temporary-expired": {"verifier": "x", "is_temporary": True, "temporary_expires_at": now - second},
        "locked": {
            "verifier": "x",
            "changed_at": now - day,
            "locked_at": now - second,
            "lock_reason": "failures",
        },
        "active": {"verifier": "x", "changed_at": now - day, "expires_at": now + 30 * day},
        "active-no-expiry": {"verifier": "x", "changed_at": now - day, "expires_at": None},
        "due-soon-edge": {"verifier": "x", "changed_at": now - day, "expires_at": now + 7 * day - second},
        "between": {"verifier": "x", "changed_at": now - day, "expires_at": now + 10 * day},
        "not-yet-due": {"verifier": "x", "changed_at": now - day, "expires_at": now + 14 * day + 60 * second},
        "expired": {"verifier": "x", "changed_at": now - 90 * day, "expires_at": now - second},
    }
    for n, (name, values) in enumerate(wanted.items()):
        for system in (core.core_system, hr):
            account = personal_account(
                core,
                system,
                "kazei_clerk",
                f"{system.code}-{n:02d}-{name}",
                perm_system=core.tax if system == core.core_system else None,
            )
            if values is not None:
                Credential.objects.create(account=account, **values)
    return now


def test_the_database_computes_every_state_as_python_does(states):
    accounts = Account.objects.filter(user_id__contains="-").order_by("pk")
    in_sql = {a.pk: a.password_status for a in with_password_status(accounts, states)}
    in_python = {r.account.pk: r.status for r in credential_rows(accounts, states)}
    assert in_sql == in_python
    assert set(in_python.values()) == set(CredentialStatus.values)  # every state was compared
    # the reminder is the account system's own: 7 days on COKAS, the default 14 on HR
    between = {
        a.user_id.split("-")[0]: a.password_status
        for a in with_password_status(accounts, states)
        if a.user_id.endswith("-between")
    }
    assert between == {"COKAS": CredentialStatus.ACTIVE, "HR": CredentialStatus.DUE_SOON}


def test_the_list_filters_by_state_in_the_database_and_builds_only_the_rows_shown(
    states, core, client, monkeypatch
):
    import kengen.credentials.views as views

    built: list[int] = []
    real = views.credential_rows

    def counting(accounts, now=None):
        rows = real(accounts, now)
        built.append(len(rows))
        return rows

    monkeypatch.setattr(views, "credential_rows", counting)
    login(client, core.users["joho_head"])
    for status, expected in [
        (CredentialStatus.LOCKED, {"locked", "temporary-expired"}),
        (CredentialStatus.EXPIRED, {"expired"}),
        (CredentialStatus.DUE_SOON, {"due-soon-edge", "between"}),
    ]:
        built.clear()
        response = client.get(reverse("credentials:list"), {"status": status})
        assert response.status_code == 200
        shown = {row.account.user_id for row in response.context["page_obj"]}
        assert {uid.split("-", 2)[2] for uid in shown} == expected, status
        assert all(row.status == status for row in response.context["page_obj"])
        assert built == [len(shown)]  # rows were built for the page only, never for the whole file
