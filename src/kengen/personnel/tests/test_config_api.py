"""Configuration over the API (A14): units, reorganizations (?preview=true), posts, systems and their
user-ID pattern, 別表第2; 403 for anyone else, 422/409 with clause and field."""

from __future__ import annotations

import datetime as dt

import pytest

from kengen.organizations.models import Organization
from kengen.roles.choices import DesignatedRoleKind
from kengen.roles.services import role_designate
from kengen.systems.models import System
from kengen.testing import START, user_for
from kengen.users.services import api_token_create

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def auth(world):
    user = user_for(None, username="conf")
    role_designate(actor=None, user=user, role=DesignatedRoleKind.CONFIGURATOR, valid_from=START)
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=user, name='t').raw}"}


@pytest.mark.clause("A14")
@pytest.mark.clause("AS")
def test_units_and_table2_lines_through_the_api(client, world, auth):
    created = client.post(
        "/api/v1/configuration/organizations",
        {
            "code": "KYUYO",
            "name": "給与係",
            "kind": "section",
            "parent": world.shokuin.pk,
            "valid_from": "2025-04-01",
        },
        content_type=JSON,
        **auth,
    )
    assert created.status_code == 201
    again = client.post(
        "/api/v1/configuration/organizations",
        {
            "code": "KYUYO",
            "name": "給与係",
            "kind": "section",
            "parent": world.shokuin.pk,
            "valid_from": "2025-04-01",
        },
        content_type=JSON,
        **auth,
    )
    assert again.status_code == 422 and (again.json()["clause"], again.json()["field"]) == ("AS", "code")
    line = client.post(
        "/api/v1/configuration/table-2",
        {"organization": world.shokuin.pk, "valid_from": "2025-04-01"},
        content_type=JSON,
        **auth,
    )
    assert line.status_code == 201 and line.json()["listed_as"] == "総務部職員課"
    preview = client.post(
        f"/api/v1/configuration/organizations/{world.jinji.pk}/end?preview=true",
        {"on": "2025-10-01"},
        content_type=JSON,
        **auth,
    )
    assert preview.status_code == 200 and preview.json()["blockers"] is True
    assert [s["unit"] for s in preview.json()["stranded"]] == ["JINJI"]
    refused = client.post(
        f"/api/v1/configuration/organizations/{world.jinji.pk}/end",
        {"on": "2025-10-01"},
        content_type=JSON,
        **auth,
    )
    assert refused.status_code == 422 and refused.json()["clause"] == "AS"


@pytest.mark.clause("A3.1")
def test_reorganization_preview_and_apply_through_the_api(client, world, auth):
    system = world.system("JINJI", "人事給与システム", owner=world.shokuin)
    body = {
        "on": "2025-04-01",
        "ending": [world.shokuin.pk, world.jinji.pk],
        "creating": [
            {
                "code": "JINJIKA",
                "name": "人事課",
                "kind": "division",
                "parent": "SOMU",
                "is_security_unit": True,
            },
            {"code": "JINJI2", "name": "人事係", "kind": "section", "parent": "JINJIKA"},
        ],
        "moves": {"SHOKUIN": "JINJIKA", "JINJI": "JINJI2"},
    }
    preview = client.post(
        "/api/v1/configuration/reorganizations?preview=true", body, content_type=JSON, **auth
    )
    assert preview.json()["systems_moving"] == [{"system": "JINJI", "from": "SHOKUIN", "to": "JINJIKA"}]
    assert not Organization.objects.filter(code="JINJIKA").exists()
    done = client.post("/api/v1/configuration/reorganizations", body, content_type=JSON, **auth)
    assert done.status_code == 201
    assert System.objects.get(pk=system.pk).owner_on(dt.date(2025, 4, 1)).code == "JINJIKA"


@pytest.mark.clause("A2.6")
@pytest.mark.clause("A14")
def test_systems_permissions_and_user_id_pattern_through_the_api(client, world, auth):
    created = client.post(
        "/api/v1/configuration/systems",
        {
            "code": "FUKUSHI",
            "name": "福祉システム",
            "kind": "individual",
            "owner": world.shiminzei.pk,
            "valid_from": "2025-04-01",
            "permissions": [["inquiry", "照会"]],
        },
        content_type=JSON,
        **auth,
    )
    assert created.status_code == 201 and created.json()["permissions"] == ["inquiry"]
    bad = client.patch(
        "/api/v1/configuration/systems/FUKUSHI", {"user_id_pattern": "f[0-9"}, content_type=JSON, **auth
    )
    assert bad.status_code == 422 and bad.json()["field"] == "user_id_pattern"
    ok = client.patch(
        "/api/v1/configuration/systems/FUKUSHI", {"user_id_pattern": "^f[0-9]{4}$"}, content_type=JSON, **auth
    )
    assert ok.json()["user_id_pattern"] == "^f[0-9]{4}$"
    perm = client.post(
        "/api/v1/configuration/systems/FUKUSHI/permissions",
        {"code": "update", "name": "更新"},
        content_type=JSON,
        **auth,
    )
    assert perm.status_code == 201 and perm.json()["permissions"] == ["inquiry", "update"]
    dup = client.post(
        "/api/v1/configuration/systems/FUKUSHI/permissions",
        {"code": "update", "name": "更新"},
        content_type=JSON,
        **auth,
    )
    assert dup.status_code == 409
    post = client.post(
        "/api/v1/configuration/posts",
        {"code": "jicho", "name": "次長", "rank": 20},
        content_type=JSON,
        **auth,
    )
    assert post.status_code == 201


@pytest.mark.clause("A14")
def test_configuration_api_is_for_the_configurator_only(client, world):
    hr = user_for(None, username="hr")
    role_designate(actor=None, user=hr, role=DesignatedRoleKind.PERSONNEL, valid_from=START)
    for user in (hr, world.users["joho_head"]):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=user, name='t').raw}"}
        response = client.post(
            "/api/v1/configuration/posts", {"code": "x", "name": "x"}, content_type=JSON, **headers
        )
        assert response.status_code == 403
