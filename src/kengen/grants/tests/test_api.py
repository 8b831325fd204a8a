import datetime as dt

import pytest

from kengen.grants.choices import GrantBasis
from kengen.grants.services import account_create, grant_create
from kengen.roles.services import role_designate
from kengen.testing import START, user_for
from kengen.users.services import api_token_create

pytestmark = pytest.mark.django_db


def _auth(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=user, name='test').raw}"}


@pytest.fixture
def file(world):
    core, tax = world.core()
    for key in ("jinji_clerk", "kazei_clerk"):
        person = world.people[key]
        account = account_create(
            actor=None, system=core, user_id=f"u-{person.staff_number}", person=person, valid_from=START
        )
        grant_create(
            actor=None,
            account=account,
            permission=tax.permissions.get(code="inquiry"),
            valid_from=START,
            basis=GrantBasis.INITIAL_LOAD,
        )
    return core, tax


@pytest.mark.clause("A2.6")
@pytest.mark.clause("A4")
def test_management_file_api_is_restricted_like_the_ui(world, file, client):
    officer = client.get("/api/v1/grants", **_auth(world.users["shokuin_head"])).json()
    assert [g["name"] for g in officer["items"]] == ["田中 花子"]
    admin = client.get("/api/v1/grants", **_auth(world.users["joho_head"])).json()  # heads the core's owner
    assert admin["count"] == 2
    assert {g["business_system"] for g in admin["items"]} == {"CK-TAX"}


@pytest.mark.clause("A2.6")
def test_management_file_api_answers_as_of_a_date(world, file, client):
    auditor = user_for(None, username="kansa")
    role_designate(actor=None, user=auditor, role="auditor", valid_from=START)
    before = client.get("/api/v1/grants?on=2024-03-31", **_auth(auditor)).json()
    after = client.get("/api/v1/grants?on=2024-04-01", **_auth(auditor)).json()
    assert before["count"] == 0
    assert after["count"] == 2
    assert after["items"][0]["period"]["label_ja"] == "令和6年4月1日〜"
    assert dt.date.fromisoformat(after["items"][0]["period"]["valid_from"]) == START


@pytest.mark.clause("A2.6")
def test_management_file_api_pages_by_cursor_and_by_offset_alike(world, file, client):
    auditor = user_for(None, username="kansa2")
    role_designate(actor=None, user=auditor, role="auditor", valid_from=START)
    auth = _auth(auditor)
    first = client.get("/api/v1/grants?on=2024-04-01&limit=1", **auth).json()
    second = client.get(f"/api/v1/grants?on=2024-04-01&limit=1&cursor={first['next_cursor']}", **auth).json()
    by_offset = client.get("/api/v1/grants?on=2024-04-01&limit=1&offset=1", **auth).json()
    back = client.get(
        f"/api/v1/grants?on=2024-04-01&limit=1&cursor={second['previous_cursor']}", **auth
    ).json()

    assert (first["count"], first["count_exact"]) == (2, True)
    assert second["items"] == by_offset["items"] != first["items"]
    assert second["next_cursor"] is None
    assert back["items"] == first["items"]
    bad = client.get("/api/v1/grants?cursor=forged", **auth)
    assert bad.status_code == 422
    assert bad.json()["field"] == "cursor"
