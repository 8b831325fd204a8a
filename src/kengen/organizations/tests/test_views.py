import pytest
from django.urls import reverse

from kengen.testing import login

pytestmark = pytest.mark.django_db


def test_tree_requires_sign_in(client):
    assert client.get(reverse("organizations:tree")).status_code == 302


def test_tree_shows_units_with_kind_head_and_security_marker(world, client):
    login(client, world.users["kazei_clerk"])
    response = client.get(reverse("organizations:tree"), {"on": "2024-04-01"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "職員課" in body and "人事係" in body and "情報システム課" in body
    assert "SHOKUIN" in body
    assert "佐藤 一郎" in body  # head of 職員課
    assert "令和6年4月1日" in body


def test_tree_before_the_units_existed_is_empty(world, client):
    login(client, world.users["kazei_clerk"])
    response = client.get(reverse("organizations:tree"), {"on": "2020-01-01"})
    assert "職員課" not in response.content.decode()


def test_tree_accepts_an_era_date(world, client):
    login(client, world.users["kazei_clerk"])
    response = client.get(reverse("organizations:tree"), {"on": "令和6年4月1日"})
    assert response.context["date"].isoformat() == "2024-04-01"


@pytest.mark.clause("A4")
def test_unit_detail_lists_only_the_members_the_officer_is_responsible_for(world, client):
    login(client, world.users["shiminzei_head"])  # officer of 市民税課, not 職員課
    response = client.get(reverse("organizations:detail", args=[world.jinji.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "人事係" in body
    assert "田中" not in body  # 職員課's clerk is not theirs
    login(client, world.users["shokuin_head"])
    body = client.get(reverse("organizations:detail", args=[world.jinji.pk])).content.decode()
    assert "田中 花子" in body


def test_unit_detail_shows_table2_status(world, client):
    from kengen.eligibility.services import eligibility_entry_create
    from kengen.testing import START

    eligibility_entry_create(
        actor=None, organization=world.shokuin, valid_from=START, scope="only", units=[world.jinji]
    )
    login(client, world.users["shokuin_head"])
    body = client.get(reverse("organizations:detail", args=[world.jinji.pk])).content.decode()
    assert "職員課(人事係に限る。)" in body
    assert "総務部職員課人事係" in body


def test_unknown_unit_is_404(world, client):
    login(client, world.users["shokuin_head"])
    assert client.get(reverse("organizations:detail", args=[999999])).status_code == 404


def test_a_long_chart_is_shown_one_department_at_a_time(world, client):
    from kengen.testing import org

    for i in range(60):
        org(f"EXTRA{i:02d}", f"追加係{i:02d}", "section", world.shiminzei)
    login(client, world.users["kazei_clerk"])
    first = client.get(reverse("organizations:tree"))
    groups = [g.name for g in first.context["groups"]]
    assert groups == ["企画財政部", "総務部"]  # in the chart's order (sort order, code)
    shown = {o.name for o, _d, _h in first.context["rows"]}
    assert "情報システム課" in shown and "追加係00" not in shown and "北見市" in shown
    somu = client.get(reverse("organizations:tree"), {"under": world.somu.pk})
    shown = {o.name for o, _d, _h in somu.context["rows"]}
    assert "追加係00" in shown and "情報システム課" not in shown
    everything = client.get(reverse("organizations:tree"), {"under": "all"})
    assert len(everything.context["rows"]) == 68


def test_tree_rows_escape_what_people_typed(world, client):
    """The rows are rendered in Python (``organizations.rows``): every value is escaped."""
    from kengen.organizations.models import Organization
    from kengen.people.models import Person

    Organization.objects.filter(pk=world.jinji.pk).update(name="<b>人事係</b>", kana='"&カナ')
    Person.objects.filter(pk=world.people["shokuin_head"].pk).update(family_name="<i>佐藤")
    login(client, world.users["kazei_clerk"])
    body = client.get(reverse("organizations:tree"), {"on": "2024-04-01"}).content.decode()
    assert "&lt;b&gt;人事係&lt;/b&gt;" in body and "<b>人事係" not in body
    assert "&quot;&amp;カナ" in body
    assert "&lt;i&gt;佐藤 一郎" in body and "<i>佐藤" not in body
