"""AS: a post exists in the kinds of unit that have it (課長 in a 課, 係長 in a 係): checked when
someone is assigned, in the personnel preview, and kept by the configuration administrator in the
UI and the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from kengen.audit.choices import AuditAction
from kengen.audit.models import AuditEvent
from kengen.core.exceptions import Conflict, RuleViolation
from kengen.organizations.models import Post
from kengen.organizations.services import post_create, post_update
from kengen.people.services import assignment_start
from kengen.personnel.changes import PersonnelChange
from kengen.personnel.choices import ChangeKind
from kengen.personnel.selectors import consequences_of
from kengen.roles.choices import DesignatedRoleKind
from kengen.roles.services import role_designate
from kengen.testing import START, login, staff, user_for
from kengen.users.services import api_token_create

pytestmark = pytest.mark.django_db
JSON = "application/json"
D = dt.date(2024, 10, 1)


@pytest.fixture
def conf(world):
    user = user_for(None, username="conf")
    role_designate(actor=None, user=user, role=DesignatedRoleKind.CONFIGURATOR, valid_from=START)
    return user


@pytest.mark.clause("AS")
def test_a_post_is_held_only_in_the_kinds_of_unit_that_have_it(world, conf):
    kakari = post_create(actor=conf, code="kakari2", name="係長代理", unit_kinds=["section"])
    person = staff(world.kazei)
    with pytest.raises(RuleViolation) as exc:
        assignment_start(actor=None, person=person, organization=world.shiminzei, post=kakari, valid_from=D)
    assert (exc.value.clause, exc.value.field) == ("AS", "post")
    assert "市民税課" in exc.value.message
    ok = assignment_start(actor=None, person=person, organization=world.jinji, post=kakari, valid_from=D)
    assert ok.post == kakari


@pytest.mark.clause("AS")
def test_the_personnel_preview_refuses_a_post_the_unit_does_not_have(world, conf):
    kacho = post_create(actor=conf, code="kacho2", name="課長補佐", unit_kinds=["division"])
    move = PersonnelChange(
        kind=ChangeKind.MOVE, person=world.people["kazei_clerk"], organization=world.jinji, post=kacho
    )
    with pytest.raises(RuleViolation) as exc:
        consequences_of(move, on=D)
    assert exc.value.field == "post"
    fine = PersonnelChange(
        kind=ChangeKind.MOVE, person=world.people["kazei_clerk"], organization=world.joho, post=kacho
    )
    assert consequences_of(fine, on=D).changes == [fine]


@pytest.mark.clause("AS")
def test_unknown_kinds_are_refused_and_narrowing_is_refused_while_held_outside(world, conf):
    with pytest.raises(RuleViolation) as exc:
        post_create(actor=conf, code="x", name="x", unit_kinds=["castle"])
    assert exc.value.field == "unit_kinds"
    clerk = world.clerk  # 主事, held in 人事係 and 課税係 (sections)
    with pytest.raises(Conflict) as exc:
        post_update(actor=conf, post=clerk, unit_kinds=["division"])
    assert exc.value.field == "unit_kinds" and "課税係" in exc.value.message
    updated = post_update(actor=conf, post=clerk, unit_kinds=["section", "division"], name="主事（一般）")
    assert (updated.name, updated.unit_kinds) == ("主事（一般）", ["section", "division"])
    event = AuditEvent.objects.filter(action=AuditAction.POST_UPDATED).latest("id")
    assert event.old == {"name": "主事", "unit_kinds": []}


@pytest.mark.clause("A14")
def test_configurator_keeps_posts_in_the_ui_and_api(client, world, conf):
    login(client, conf)
    response = client.post(
        reverse("configuration:post_new"),
        {"code": "jicho", "name": "次長", "kana": "ジチョウ", "rank": 20, "unit_kinds": ["department"]},
    )
    assert response.status_code == 302
    assert Post.objects.get(code="jicho").unit_kinds == ["department"]
    page = client.get(reverse("configuration:index")).content.decode()
    assert reverse("configuration:post_edit", args=[Post.objects.get(code="jicho").pk]) in page
    edit = client.post(
        reverse("configuration:post_edit", args=[Post.objects.get(code="jicho").pk]),
        {"name": "部次長", "kana": "ブジチョウ", "rank": 20, "unit_kinds": ["department", "office"]},
    )
    assert edit.status_code == 302
    assert Post.objects.get(code="jicho").unit_kinds == ["department", "office"]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=conf, name='t').raw}"}
    created = client.post(
        "/api/v1/configuration/posts",
        {"code": "kakari3", "name": "係長心得", "unit_kinds": ["section"]},
        content_type=JSON,
        **headers,
    )
    assert created.status_code == 201 and created.json()["unit_kinds"] == ["section"]
    patched = client.patch(
        "/api/v1/configuration/posts/kakari3", {"unit_kinds": []}, content_type=JSON, **headers
    )
    assert patched.status_code == 200 and patched.json()["unit_kinds"] == []
    narrowed = client.patch(
        f"/api/v1/configuration/posts/{world.clerk.code}",
        {"unit_kinds": ["city"]},
        content_type=JSON,
        **headers,
    )
    assert narrowed.status_code == 409 and narrowed.json()["field"] == "unit_kinds"


@pytest.mark.clause("AS")
def test_the_kitami_profile_gives_head_posts_the_kinds_they_head(db):
    from kengen.profiles.kitami import PROFILE

    assert PROFILE.head_post_kinds("kacho") == ("division",)
    assert "section" in PROFILE.head_post_kinds("kakaricho")
    assert PROFILE.head_post_kinds("shuji") == ()
