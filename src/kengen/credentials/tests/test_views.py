"""Credentials UI: sign-in required, scope (404 for other organizations), the one-time reveal, the
self-service change, policies, API keys and Form 2 pages."""

import pytest
from django.urls import reverse

from kengen.credentials.choices import VerifyResult
from kengen.credentials.models import (
    Credential,
    CredentialPolicy,
    PasswordApplication,
    RevealLink,
    SystemApiKey,
)
from kengen.credentials.services import password_verify, temporary_password_issue
from kengen.credentials.tests.helpers import STRONG, issue_and_reveal, personal_account, reveal_token
from kengen.testing import login

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "name,args",
    [
        ("credentials:list", []),
        ("credentials:mine", []),
        ("credentials:form2_list", []),
        ("credentials:reveal", []),
        ("credentials:account", [1]),
        ("credentials:change", [1]),
    ],
)
def test_pages_require_sign_in(client, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302 and response["Location"].startswith(reverse("users:login"))


def test_the_list_shows_states_within_scope(core, client):
    temporary_password_issue(actor=core.users["joho_head"], account=core.account)
    login(client, core.users["shokuin_head"])
    body = client.get(reverse("credentials:list")).content.decode()
    assert "JINJI001" in body
    login(client, core.users["shiminzei_head"])
    assert "JINJI001" not in client.get(reverse("credentials:list")).content.decode()
    assert client.get(reverse("credentials:account", args=[core.account.pk])).status_code == 404


@pytest.mark.clause("A8.3")
def test_the_officer_reveals_the_temporary_password_once_through_the_link(core, client):
    temporary_password_issue(actor=core.users["joho_head"], account=core.account)
    token = reveal_token(core.account)
    url = reverse("credentials:reveal")
    assert token not in url  # the token is posted, never in a URL that reaches a log (issue 10)
    login(client, core.users["shiminzei_head"])
    assert client.post(url, {"token": token}).status_code == 404  # not addressed to them
    login(client, core.users["shokuin_head"])
    start = client.get(url)
    assert start.status_code == 200 and "no-store" in start["Cache-Control"]
    page = client.post(url, {"token": token})
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert (
        RevealLink.objects.get().used_at is None
    )  # a confirmation page (e.g. a link preview) does not use it up
    shown = client.post(url, {"token": token, "confirm": "1"})
    assert shown.status_code == 200 and "no-store" in shown["Cache-Control"]
    assert shown["Referrer-Policy"] == "same-origin"  # issue 11: "no-referrer" broke the next POST
    value = shown.context["value"]
    assert value in shown.content.decode()
    assert (
        password_verify(system=core.core_system, user_id="JINJI001", password=value).result == "must_change"
    )
    again = client.post(url, {"token": token, "confirm": "1"}, HTTP_REFERER=url)
    assert again.status_code == 302  # Conflict: already used
    assert value not in client.get(url, follow=True).content.decode()


@pytest.mark.clause("A8.4")
def test_self_service_change_of_a_temporary_password(core, client):
    value = issue_and_reveal(core, core.account)
    login(client, core.users["jinji_clerk"])
    mine = client.get(reverse("credentials:mine")).content.decode()
    assert "JINJI001" in mine and reverse("credentials:change", args=[core.account.pk]) in mine
    url = reverse("credentials:change", args=[core.account.pk])
    weak = client.post(
        url,
        {
            "current_password": value,
            "new_password": "password123456",
            "new_password_confirm": "password123456",
        },
    )
    assert weak.status_code == 200
    body = weak.content.decode()
    assert "[A8.6]" in body and "password123456" not in body and value not in body
    ok = client.post(url, {"current_password": value, "new_password": STRONG, "new_password_confirm": STRONG})
    assert ok.status_code == 302
    assert (
        password_verify(system=core.core_system, user_id="JINJI001", password=STRONG).result
        == VerifyResult.VALID
    )


def test_someone_else_cannot_change_my_password(core, client):
    issue_and_reveal(core, core.account)
    login(client, core.users["shokuin_head"])  # sees the account as its officer, but it is not theirs
    assert client.get(reverse("credentials:change", args=[core.account.pk])).status_code == 404
    login(client, core.users["shiminzei_head"])
    assert client.get(reverse("credentials:change", args=[core.account.pk])).status_code == 404


@pytest.mark.clause("A8.2")
def test_administrator_issues_from_the_account_page(core, client):
    login(client, core.users["joho_head"])
    page = client.get(reverse("credentials:account", args=[core.account.pk])).content.decode()
    assert reverse("credentials:account_action", args=[core.account.pk, "temporary"]) in page
    r = client.post(reverse("credentials:account_action", args=[core.account.pk, "temporary"]))
    assert r.status_code == 302
    assert Credential.objects.get(account=core.account).is_temporary
    login(client, core.users["shokuin_head"])  # an officer cannot issue
    r = client.post(reverse("credentials:account_action", args=[core.account.pk, "temporary"]))
    assert r.status_code == 403


def test_policy_page_edits_for_the_administrator_only(core, client):
    url = reverse("credentials:policy", args=[core.core_system.pk])
    login(client, core.users["shokuin_head"])
    assert client.get(url).status_code == 200
    assert client.post(url, {"mode": "kengen", "min_length": 14}).status_code == 403
    login(client, core.users["joho_head"])
    data = {
        "mode": "kengen",
        "min_length": 14,
        "max_age_days": 90,
        "reminder_days": 14,
        "history_count": 5,
        "temporary_validity_days": 7,
        "min_character_classes": 0,
        "lockout_threshold": 10,
    }
    assert client.post(url, data).status_code == 302
    assert CredentialPolicy.objects.get(system=core.core_system).min_length == 14


def test_api_key_is_shown_once_and_stored_as_a_digest(core, client):
    url = reverse("credentials:keys", args=[core.core_system.pk])
    login(client, core.users["shokuin_head"])
    assert client.get(url).status_code == 404
    login(client, core.users["joho_head"])
    r = client.post(url, {"name": "COKAS gateway"})
    raw = r.context["value"]
    assert raw.startswith("kgs_") and "no-store" in r["Cache-Control"]
    assert raw not in client.get(url).content.decode()
    key = SystemApiKey.objects.get()
    assert raw not in (key.digest, key.prefix) and raw.startswith(key.prefix)


@pytest.mark.clause("A8.1")
def test_form2_pages(world, client):
    hr = world.system("HR", "人事給与システム", owner=world.joho)
    account = personal_account(world, hr, "jinji_clerk", "HR001")
    login(client, world.users["jinji_clerk"])
    page = client.get(reverse("credentials:form2_new")).content.decode()
    assert "HR001" in page
    r = client.post(
        reverse("credentials:form2_new"), {"account": account.pk, "kind": "change", "reason": "定期"}
    )
    app = PasswordApplication.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("credentials:form2_detail", args=[app.pk])
    client.post(reverse("credentials:form2_action", args=[app.pk, "submit"]))
    pdf = client.get(reverse("credentials:form2_pdf", args=[app.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    login(client, world.users["shiminzei_head"])
    assert client.get(reverse("credentials:form2_detail", args=[app.pk])).status_code == 404
    login(client, world.users["joho_head"])
    detail = client.get(reverse("credentials:form2_detail", args=[app.pk])).content.decode()
    assert reverse("credentials:form2_action", args=[app.pk, "complete"]) in detail
    client.post(reverse("credentials:form2_action", args=[app.pk, "complete"]))
    app.refresh_from_db()
    assert app.status == "completed"
    assert client.get(reverse("credentials:form2_blank_pdf")).status_code == 200


def test_base_menu_links_to_my_passwords(core, client):
    login(client, core.users["jinji_clerk"])
    body = client.get(reverse("dashboard:home")).content.decode()
    assert reverse("credentials:mine") in body
