"""The Django admin shows the configuration and the records to superusers and writes nothing: every
change goes through the services (their rules and audit events)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from kengen.core.admin import ReadOnlyAdmin
from kengen.testing import login, user_for

pytestmark = pytest.mark.django_db

REGISTERED = [
    (model, model_admin)
    for model, model_admin in admin.site._registry.items()
    if model._meta.app_label not in {"auth", "otp_totp", "otp_static", "otp_webauthn", "sites"}
]


def test_every_kengen_model_admin_is_read_only():
    kengen = [m for m, _ in REGISTERED if m.__module__.startswith("kengen.")]
    assert kengen, "the admin promises pages for operators"
    for model, model_admin in REGISTERED:
        if model.__module__.startswith("kengen."):
            assert isinstance(model_admin, ReadOnlyAdmin), model._meta.label


@pytest.mark.parametrize("model", [m for m, _ in REGISTERED if m.__module__.startswith("kengen.")])
def test_the_admin_cannot_add_change_or_delete(model, world):
    superuser = user_for(None, username="root-admin", is_superuser=True)
    request = RequestFactory().get("/admin/")
    request.user = superuser
    model_admin = admin.site._registry[model]

    assert model_admin.has_view_permission(request)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert "delete_selected" not in model_admin.get_actions(request)


def test_a_superuser_reads_the_admin_but_cannot_post_a_change(client, world):
    login(client, user_for(None, username="root-admin", is_superuser=True))
    person = world.people["jinji_clerk"]
    change_url = reverse("admin:people_person_change", args=[person.pk])

    assert client.get(reverse("admin:people_person_changelist")).status_code == 200
    assert client.get(change_url).status_code == 200  # a read-only view of the row
    assert client.get(reverse("admin:people_person_add")).status_code == 403
    response = client.post(change_url, {"family_name": "改ざん"})
    assert response.status_code == 403
    person.refresh_from_db()
    assert person.family_name == "田中"
    assert (
        client.post(reverse("admin:people_person_delete", args=[person.pk]), {"post": "yes"}).status_code
        == 403
    )


def test_people_without_superuser_rights_do_not_see_the_admin(client, world):
    login(client, world.users["shokuin_head"])

    response = client.get(reverse("admin:people_person_changelist"))

    assert response.status_code == 302  # to the admin's sign-in page: not staff
