import datetime as dt

import pytest
from django.urls import reverse

from kengen.grants.choices import GrantBasis
from kengen.grants.services import account_create, grant_create
from kengen.testing import START, login

pytestmark = pytest.mark.django_db


def test_systems_require_sign_in(client):
    assert client.get(reverse("systems:list")).status_code == 302
    assert client.get(reverse("systems:detail", args=[1])).status_code == 302


def test_catalogue_groups_systems_by_kind_with_owner_and_administrator(world, client):
    world.core()
    world.system("HR", "人事給与システム", owner=world.shokuin)
    login(client, world.users["kazei_clerk"])
    response = client.get(reverse("systems:list"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "COKAS-R/ADⅡ" in body and "個人住民税" in body and "人事給与システム" in body
    assert "企画財政部情報システム課" in body
    assert "高橋 三郎" in body  # head of 情報システム課 administers the core package
    assert "佐藤 一郎" in body  # head of 職員課 administers HR
    assert [kind for kind, _label, _rows in response.context["groups"]] == [
        "core",
        "core_business",
        "individual",
    ]


def test_system_detail_counts_only_visible_accounts(world, client):
    system = world.system("HR", "人事給与システム", owner=world.joho)
    for key in ("jinji_clerk", "kazei_clerk"):
        account = account_create(
            actor=None, system=system, user_id=key, person=world.people[key], valid_from=START
        )
        grant_create(
            actor=None,
            account=account,
            permission=system.permissions.get(code="inquiry"),
            valid_from=START,
            basis=GrantBasis.INITIAL_LOAD,
        )
    login(client, world.users["shokuin_head"])
    response = client.get(reverse("systems:detail", args=[system.pk]))
    assert response.status_code == 200
    assert response.context["account_count"] == 1
    assert "照会" in response.content.decode()
    login(client, world.users["joho_head"])
    assert client.get(reverse("systems:detail", args=[system.pk])).context["account_count"] == 2


def test_system_rows_are_escaped_and_say_who_administers():
    """The rows are rendered in Python (issue 10): every value escaped, a vacancy said."""
    from kengen.systems.rows import system_rows

    class Named:
        pk = 7
        name = "<b>名"
        code = "X&Y"
        parent = None
        handles_specific_personal_info = True

    html = system_rows([{"system": Named(), "owner": "<課>", "administrators": []}], dt.date(2026, 4, 1))
    assert "<b>名" not in html and "&lt;b&gt;名" in html and "X&amp;Y" in html and "&lt;課&gt;" in html
    assert "?on=2026-04-01" in html and "kg-badge--warning" in html and "kg-badge--error" in html
