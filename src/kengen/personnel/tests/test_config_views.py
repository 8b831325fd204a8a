"""Configuration pages (A14): units, reorganizations with their preview, posts, systems with their
permissions and user-ID pattern, 別表第2 lines — for the configuration administrator only."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from kengen.eligibility.models import EligibilityEntry
from kengen.eligibility.services import eligibility_entry_create
from kengen.organizations.models import Organization, Post
from kengen.roles.choices import DesignatedRoleKind
from kengen.roles.services import role_designate
from kengen.systems.models import System
from kengen.testing import START, login, staff, user_for

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2025, 3, 10, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def conf(world):
    user = user_for(None, username="conf")
    role_designate(actor=None, user=user, role=DesignatedRoleKind.CONFIGURATOR, valid_from=START)
    return user


@time_machine.travel(NOW, tick=False)
@pytest.mark.clause("A14")
@pytest.mark.clause("AS")
def test_configurator_adds_a_unit_and_ends_an_unused_one_after_a_preview(client, world, conf):
    login(client, conf)
    assert client.get("/configuration/").status_code == 200
    response = client.post(
        "/configuration/organizations/new/",
        {
            "code": "KYUYO",
            "name": "給与係",
            "kind": "section",
            "parent": world.shokuin.pk,
            "valid_from": "令和7年4月1日",
        },
    )
    assert response.status_code == 302
    unit = Organization.objects.get(code="KYUYO")
    assert (unit.parent_id, unit.valid_from) == (world.shokuin.pk, dt.date(2025, 4, 1))
    busy = client.post(
        f"/configuration/organizations/{world.kazei.pk}/end/",
        {"last_day": "R7.3.31", "reason": "abolished", "action": "confirm"},
    )
    assert busy.status_code == 200 and busy.context["reorg"].blockers
    assert world.people["kazei_clerk"].full_name in busy.content.decode()
    assert Organization.objects.get(pk=world.kazei.pk).valid_to is None
    done = client.post(
        f"/configuration/organizations/{unit.pk}/end/",
        {"last_day": "令和7年9月30日", "reason": "abolished", "action": "confirm"},
    )
    assert done.status_code == 302
    unit.refresh_from_db()
    assert unit.valid_to == dt.date(2025, 10, 1)


@time_machine.travel(NOW, tick=False)
@pytest.mark.clause("A3.1")
@pytest.mark.clause("AS")
def test_reorganization_preview_names_systems_changing_owner_and_stale_table2_lines(client, world, conf):
    system = world.system("JINJI", "人事給与システム", owner=world.shokuin)
    entry = eligibility_entry_create(actor=None, organization=world.shokuin, valid_from=START)
    login(client, conf)
    data = {
        "on": "令和7年4月1日",
        "ending": [world.shokuin.pk, world.jinji.pk],
        "creating": "JINJIKA,人事課,division,SOMU,1\nJINJI2,人事係,section,JINJIKA,0",
        "moves": "SHOKUIN=JINJIKA\nJINJI=JINJI2",
    }
    preview = client.post("/configuration/reorganize/", {**data, "action": "preview"})
    reorg = preview.context["reorg"]
    assert [(s.pk, to) for s, to in reorg.systems_moving] == [(system.pk, "JINJIKA")]
    assert [e.pk for e in reorg.stale_table2] == [entry.pk] and reorg.blockers
    assert 'id="systems-moving"' in preview.content.decode()
    refused = client.post("/configuration/reorganize/", {**data, "action": "confirm"})
    assert refused.status_code == 200 and not Organization.objects.filter(code="JINJIKA").exists()
    client.post(f"/configuration/table-2/{entry.pk}/end/", {"last_day": "令和7年3月31日"})
    assert EligibilityEntry.objects.get(pk=entry.pk).valid_to == dt.date(2025, 4, 1)
    done = client.post("/configuration/reorganize/", {**data, "action": "confirm"})
    assert done.status_code == 302
    successor = Organization.objects.get(code="JINJIKA")
    assert System.objects.get(pk=system.pk).owner_on(dt.date(2025, 4, 1)) == successor
    assert {
        a.organization.code for a in world.people["shokuin_head"].assignments_on(dt.date(2025, 4, 1))
    } == {"JINJIKA"}


@time_machine.travel(NOW, tick=False)
@pytest.mark.clause("A14")
@pytest.mark.clause("A2.6")
def test_configurator_registers_a_system_with_permissions_and_a_user_id_pattern(client, world, conf):
    login(client, conf)
    response = client.post(
        "/configuration/systems/new/",
        {
            "code": "FUKUSHI",
            "name": "福祉システム",
            "kind": "individual",
            "owner": world.shiminzei.pk,
            "valid_from": "2025-04-01",
            "user_id_pattern": "^f[0-9]{4}$",
            "user_id_example": "f0001",
            "permissions": "inquiry,照会\nupdate,更新",
        },
    )
    system = System.objects.get(code="FUKUSHI")
    assert response.status_code == 302 and system.user_id_pattern == "^f[0-9]{4}$"
    assert list(system.permissions.values_list("code", flat=True)) == ["inquiry", "update"]
    bad = client.post(
        f"/configuration/systems/{system.pk}/",
        {"action": "edit", "name": "福祉システム", "user_id_pattern": "f[0-9"},
    )
    assert bad.status_code == 200 and bad.context["form"].errors["user_id_pattern"]
    client.post(
        f"/configuration/systems/{system.pk}/", {"action": "permission", "code": "print", "name": "帳票出力"}
    )
    assert system.permissions.filter(code="print").exists()
    client.post("/configuration/posts/new/", {"code": "jicho", "name": "次長", "rank": 20})
    assert Post.objects.filter(code="jicho", is_head=False).exists()
    client.post(
        "/configuration/table-2/new/",
        {
            "organization": world.shiminzei.pk,
            "scope": "only",
            "units": [world.kazei.pk],
            "valid_from": "2025-04-01",
        },
    )
    assert (
        EligibilityEntry.objects.get(organization=world.shiminzei).listed_as
        == "総務部市民税課(課税係に限る。)"
    )


@pytest.mark.clause("A14")
@pytest.mark.parametrize("who", ["personnel", "auditor", "shokuin_head", "kazei_clerk"])
def test_nobody_but_the_configurator_changes_configuration(client, world, who):
    if who in ("personnel", "auditor"):
        user = user_for(staff(world.jinji) if who == "personnel" else None, username=who)
        role_designate(actor=None, user=user, role=who, valid_from=START)
    else:
        user = world.users[who]
    login(client, user)
    for url in (
        "/configuration/",
        "/configuration/organizations/new/",
        "/configuration/reorganize/",
        "/configuration/systems/new/",
    ):
        assert client.get(url).status_code == 403
    assert client.post("/configuration/posts/new/", {"code": "x", "name": "x", "rank": 1}).status_code == 403
    assert not Post.objects.filter(code="x").exists()
