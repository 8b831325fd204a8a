import pytest
from django.urls import reverse

from kengen.testing import login

pytestmark = pytest.mark.django_db


def test_roles_page_requires_sign_in(client):
    assert client.get(reverse("roles:list")).status_code == 302


def test_roles_page_shows_who_holds_which_role(world, client):
    world.core()
    login(client, world.users["kazei_clerk"])
    response = client.get(reverse("roles:list"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "総務部職員課" in body and "佐藤 一郎" in body
    assert "総務部市民税課" in body and "鈴木 二郎" in body
    assert "COKAS-R/ADⅡ" in body and "高橋 三郎" in body


def test_roles_before_anyone_was_appointed_show_nothing(world, client):
    login(client, world.users["kazei_clerk"])
    response = client.get(reverse("roles:list"), {"on": "2020-04-01"})
    assert "佐藤 一郎" not in response.content.decode()
