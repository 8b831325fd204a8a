"""The API for direct grants, revocation, deletion for breach and maintenance IDs (A5.5–A5.9):
401 without a token, 403 without the role, 404 outside the caller's sight, 422 with the clause."""

import datetime as dt

import pytest

from kengen.eligibility.services import eligibility_entry_create
from kengen.grants.choices import AccountKind, EndReason, GrantBasis
from kengen.grants.models import Account, Grant
from kengen.grants.services import grant_direct, maintenance_account_register
from kengen.notifications.models import Notification
from kengen.people.choices import AssignmentEndReason
from kengen.people.services import assignment_move
from kengen.testing import START
from kengen.users.services import api_token_create

pytestmark = pytest.mark.django_db
D = dt.date(2024, 5, 1)
JSON = "application/json"


def _auth(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=user, name='test').raw}"}


@pytest.fixture
def core(world):
    core, tax = world.core()
    eligibility_entry_create(actor=None, organization=world.shokuin, valid_from=START)
    return core, tax


def _direct_body(person, **overrides):
    body = {
        "person_id": person.pk,
        "permissions": [
            {"system": "CK-TAX", "permission": "inquiry"},
            {"system": "CK-TAX", "permission": "update"},
        ],
        "valid_from": "2024-05-01",
    }
    body.update(overrides)
    return body


def _direct(world, tax):
    return grant_direct(
        actor=world.users["joho_head"],
        person=world.people["jinji_clerk"],
        permissions=[tax.permissions.get(code="inquiry"), tax.permissions.get(code="update")],
        valid_from=D,
    )


def test_every_write_endpoint_needs_a_token(client, world, core):
    for url in (
        "/api/v1/grants/direct",
        "/api/v1/grants/revoke-transfer",
        "/api/v1/accounts/1/breach-deletion",
        "/api/v1/maintenance-accounts",
        "/api/v1/accounts/1/end",
    ):
        assert client.post(url, {}, content_type=JSON).status_code == 401, url
    assert client.get("/api/v1/maintenance-accounts").status_code == 401


@pytest.mark.clause("A5.5")
@pytest.mark.clause("A5.6")
def test_core_administrator_grants_directly_through_the_api(client, world, core):
    person = world.people["jinji_clerk"]
    r = client.post(
        "/api/v1/grants/direct",
        _direct_body(person, valid_to="2025-04-01"),
        content_type=JSON,
        **_auth(world.users["joho_head"]),
    )
    assert r.status_code == 201, r.content
    out = r.json()
    assert {g["business_system"] for g in out} == {"CK-TAX"}
    assert {g["user_id"] for g in out} == {person.staff_number}
    assert {g["period"]["last_day"] for g in out} == {"2025-03-31"}
    assert Grant.objects.filter(account__person=person, basis=GrantBasis.DIRECT).count() == 2
    assert Notification.objects.filter(recipient=world.people["shokuin_head"], clause="A5.6").exists()


@pytest.mark.clause("A5.5")
def test_direct_grant_api_refusals(client, world, core):
    officer = _auth(world.users["shokuin_head"])
    r = client.post(
        "/api/v1/grants/direct", _direct_body(world.people["jinji_clerk"]), content_type=JSON, **officer
    )
    assert r.status_code == 403
    r = client.post(
        "/api/v1/grants/direct", _direct_body(world.people["kazei_clerk"]), content_type=JSON, **officer
    )
    assert r.status_code == 404  # another organization's person
    admin = _auth(world.users["joho_head"])
    r = client.post(
        "/api/v1/grants/direct",
        _direct_body(world.people["kazei_clerk"]),
        content_type=JSON,
        HTTP_ACCEPT_LANGUAGE="ja",
        **admin,
    )
    assert r.status_code == 422
    assert r.json()["clause"] == "A5.5"
    bad = _direct_body(
        world.people["jinji_clerk"], permissions=[{"system": "CK-TAX", "permission": "teleport"}]
    )
    r = client.post("/api/v1/grants/direct", bad, content_type=JSON, **admin)
    assert r.status_code == 422 and "teleport" in r.json()["message"]
    assert not Grant.objects.exists()


@pytest.mark.clause("A5.5")
def test_revocation_on_transfer_through_the_api(client, world, core):
    _, tax = core
    _direct(world, tax)
    person = world.people["jinji_clerk"]
    admin = _auth(world.users["joho_head"])
    body = {"person_id": person.pk, "system": "COKAS", "on": "2024-10-01", "reason": "transfer"}
    r = client.post("/api/v1/grants/revoke-transfer", body, content_type=JSON, **admin)
    assert r.status_code == 422 and r.json()["clause"] == "A5.5"  # still in Table 2
    assert (
        client.post(
            "/api/v1/grants/revoke-transfer", body, content_type=JSON, **_auth(world.users["shokuin_head"])
        ).status_code
        == 403
    )
    assignment_move(
        actor=None,
        assignment=person.assignments.get(),
        organization=world.kazei,
        on=dt.date(2024, 10, 1),
        reason=AssignmentEndReason.TRANSFER,
    )
    r = client.post("/api/v1/grants/revoke-transfer", body, content_type=JSON, **admin)
    assert r.status_code == 200, r.content
    assert {g["end_reason"] for g in r.json()} == {EndReason.TRANSFER}
    again = client.post("/api/v1/grants/revoke-transfer", body, content_type=JSON, **admin)
    assert again.status_code == 409


@pytest.mark.clause("A5.7")
@pytest.mark.clause("A5.8")
def test_breach_deletion_through_the_api(client, world, core):
    inquiry, update = _direct(world, core[1])
    url = f"/api/v1/accounts/{inquiry.account_id}/breach-deletion"
    admin = _auth(world.users["joho_head"])
    r = client.post(url, {"reason": " "}, content_type=JSON, **admin)
    assert r.status_code == 422 and r.json()["clause"] == "A5.7"
    assert (
        client.post(url, {"reason": "x"}, content_type=JSON, **_auth(world.users["shokuin_head"])).status_code
        == 403
    )
    assert (
        client.post(
            url, {"reason": "x"}, content_type=JSON, **_auth(world.users["shiminzei_head"])
        ).status_code
        == 404
    )
    r = client.post(
        url,
        {"reason": "更新権限の濫用", "on": "2024-07-01", "grant_ids": [update.pk]},
        content_type=JSON,
        **admin,
    )
    assert r.status_code == 200, r.content
    assert [g["id"] for g in r.json()["ended"]] == [update.pk]
    assert r.json()["account"]["period"]["valid_to"] is None
    r = client.post(url, {"reason": "目的外の照会", "on": "2024-08-01"}, content_type=JSON, **admin)
    assert r.status_code == 200
    assert r.json()["account"]["end_reason"] == EndReason.BREACH
    assert Notification.objects.filter(recipient=world.people["shokuin_head"], clause="A5.8").count() == 2


@pytest.mark.clause("A5.7")
def test_breach_deletion_rejects_grants_of_another_user_id(client, world, core, maintainer):
    inquiry, _ = _direct(world, core[1])
    (other,) = maintenance_account_register(
        actor=world.users["joho_head"],
        person=maintainer,
        system=core[0],
        user_id="m001",
        permissions=[core[1].permissions.get(code="inquiry")],
        valid_from=D,
        valid_to=dt.date(2025, 4, 1),
    )
    r = client.post(
        f"/api/v1/accounts/{inquiry.account_id}/breach-deletion",
        {"reason": "x", "grant_ids": [other.pk]},
        content_type=JSON,
        **_auth(world.users["joho_head"]),
    )
    assert r.status_code == 422
    assert not Grant.objects.filter(ended_at__isnull=False).exists()


@pytest.mark.clause("A5.9")
def test_maintenance_accounts_through_the_api(client, world, core, maintainer):
    admin = _auth(world.users["joho_head"])
    body = {
        "person_id": maintainer.pk,
        "system": "COKAS",
        "user_id": "m001",
        "permissions": [{"system": "CK-TAX", "permission": "inquiry"}],
        "valid_from": "2024-05-01",
        "valid_to": "2025-04-01",
        "note": "保守契約",
    }
    assert (
        client.post(
            "/api/v1/maintenance-accounts", body, content_type=JSON, **_auth(world.users["shiminzei_head"])
        ).status_code
        == 403
    )
    no_end = {**body}
    del no_end["valid_to"]
    assert client.post("/api/v1/maintenance-accounts", no_end, content_type=JSON, **admin).status_code == 422
    r = client.post("/api/v1/maintenance-accounts", body, content_type=JSON, **admin)
    assert r.status_code == 201, r.content
    created = r.json()
    assert created["kind"] == AccountKind.MAINTENANCE and created["contractor"] == "北見システム保守株式会社"
    assert [g["permission"] for g in created["grants"]] == ["inquiry"]
    listing = client.get("/api/v1/maintenance-accounts", {"on": "2024-06-01"}, **admin).json()
    assert [a["user_id"] for a in listing["items"]] == ["m001"]
    assert (
        client.get("/api/v1/maintenance-accounts", **_auth(world.users["shiminzei_head"])).status_code == 403
    )
    staff_body = {**body, "person_id": world.people["jinji_clerk"].pk, "user_id": "m002"}
    assert (
        client.post("/api/v1/maintenance-accounts", staff_body, content_type=JSON, **admin).status_code == 404
    )
    end = f"/api/v1/accounts/{created['id']}/end"
    assert (
        client.post(
            end, {"on": "2024-09-01"}, content_type=JSON, **_auth(world.users["shiminzei_head"])
        ).status_code
        == 404
    )
    r = client.post(end, {"on": "2024-09-01", "reason": "cancelled"}, content_type=JSON, **admin)
    assert r.status_code == 200 and r.json()["period"]["valid_to"] == "2024-09-01"
    assert client.post(end, {"on": "2024-09-01"}, content_type=JSON, **admin).status_code == 409
    assert Account.objects.get(user_id="m001").end_reason == EndReason.CANCELLED


@pytest.mark.clause("A5.9")
@pytest.mark.clause("A8.8")
def test_the_api_offers_only_the_staff_of_an_active_contract_covering_the_system(
    client, world, core, maintainer
):
    from django.utils import timezone

    from kengen.contractors.services import contractor_create
    from kengen.outsourcing.models import Contract
    from kengen.people.choices import PersonKind
    from kengen.people.services import person_create

    person_create(  # on no contract: never offered
        actor=None,
        kind=PersonKind.MAINTENANCE,
        contractor=contractor_create(actor=None, name="契約のない保守会社"),
        family_name="無契約",
        given_name="太郎",
        family_name_kana="ムケイヤク",
        given_name_kana="タロウ",
    )
    contract = Contract.objects.get()
    url = "/api/v1/maintenance-accounts/eligible-staff"
    admin = _auth(world.users["joho_head"])
    r = client.get(url, {"system": "COKAS"}, **admin)
    assert r.status_code == 200, r.content
    assert r.json() == [
        {
            "person_id": maintainer.pk,
            "name": maintainer.full_name,
            "contractor": "北見システム保守株式会社",
            "contract_id": contract.pk,
            "contract": contract.title,
            "valid_from": timezone.localdate().isoformat(),
            "valid_to": contract.valid_to.isoformat(),
            "last_day": (contract.valid_to - dt.timedelta(days=1)).isoformat(),
        }
    ]
    after = (contract.valid_to + dt.timedelta(days=1)).isoformat()
    assert client.get(url, {"system": "COKAS", "on": after}, **admin).json() == []
    assert client.get(url, {"system": "COKAS"}, **_auth(world.users["shiminzei_head"])).status_code == 403
    assert client.get(url, {"system": "NOPE"}, **admin).status_code == 404
    assert client.get(url, **admin).status_code == 422
