"""Passkeys (django-otp-webauthn) as a second factor, end to end against a software authenticator.

No browser and no real passkey here: ``SoftAuthenticator`` builds what they would send (a "none"
attestation, then ES256 assertions), and the real endpoints verify it with py_webauthn. What these
tests cannot show is the browser side: the library's JavaScript calling
``navigator.credentials`` and a platform authenticator's user interface.
"""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.urls import reverse
from django_otp_webauthn.models import WebAuthnCredential

from kengen.acknowledgements import texts
from kengen.acknowledgements.services import acknowledgement_record
from kengen.audit.choices import AuditAction
from kengen.audit.models import AuditEvent
from kengen.testing import TEST_PASSWORD, login
from kengen.users.models import RecoveryCodeDevice
from kengen.users.tests.soft_authenticator import SoftAuthenticator, unb64url

pytestmark = pytest.mark.django_db

URLS = {
    "reg_begin": "otp_webauthn:credential-registration-begin",
    "reg_complete": "otp_webauthn:credential-registration-complete",
    "auth_begin": "otp_webauthn:credential-authentication-begin",
    "auth_complete": "otp_webauthn:credential-authentication-complete",
}


def post_json(client, name: str, data: dict | None = None, **kwargs):
    return client.post(
        reverse(URLS[name]) + kwargs.pop("query", ""),
        data=json.dumps(data or {}),
        content_type="application/json",
    )


def authenticator() -> SoftAuthenticator:
    return SoftAuthenticator(
        rp_id=settings.OTP_WEBAUTHN_RP_ID, origin=settings.OTP_WEBAUTHN_ALLOWED_ORIGINS[0]
    )


def sign_in(client, username: str):
    return client.post(reverse("users:login"), {"username": username, "password": TEST_PASSWORD})


def register(client, key: SoftAuthenticator):
    options = post_json(client, "reg_begin").json()
    return post_json(client, "reg_complete", key.register(options))


def test_registration_options_name_kengen_the_user_and_exclude_their_existing_passkeys(world, client):
    sign_in(client, "shokuin-head")  # must enrol: the registration endpoints are open to them

    response = post_json(client, "reg_begin")

    assert response.status_code == 200
    options = response.json()
    assert options["rp"] == {"id": settings.OTP_WEBAUTHN_RP_ID, "name": "Kengen"}
    assert options["user"]["name"] == "shokuin-head"
    assert len(unb64url(options["challenge"])) >= 16
    assert {"type": "public-key", "alg": -7} in options["pubKeyCredParams"]
    assert options["excludeCredentials"] == []
    assert client.session["otp_webauthn_register_state"]["challenge"] == options["challenge"]


def test_registering_a_passkey_enrols_the_officer_and_recovery_codes_follow(world, client):
    user = world.users["shokuin_head"]
    sign_in(client, "shokuin-head")
    key = authenticator()

    done = register(client, key)

    assert done.status_code == 200, done.content
    credential = WebAuthnCredential.objects.get(user=user)
    assert bytes(credential.credential_id) == key.credential_id
    event = AuditEvent.objects.filter(action=AuditAction.MFA_DEVICE_ADDED, target_id=str(user.pk)).get()
    assert event.new["device_type"] == "webauthn"
    # the page then posts here (users/passkey.js): first set-up shows recovery codes once
    codes = client.post(reverse("users:mfa_after_passkey"))
    assert codes.status_code == 200 and len(codes.context["codes"]) == 10
    assert RecoveryCodeDevice.objects.get(user=user).remaining == 10
    # registration also verified this session
    assert client.get(reverse("dashboard:home"))["Location"].startswith(
        reverse("acknowledgements:acknowledge")
    )
    # a second registration (after the A9 acknowledgement) excludes the first passkey
    acknowledgement_record(user=user, text_version=texts.CURRENT_VERSION)
    assert post_json(client, "reg_begin").json()["excludeCredentials"][0]["id"] == credential_id_text(key)


def credential_id_text(key: SoftAuthenticator) -> str:
    from kengen.users.tests.soft_authenticator import b64url

    return b64url(key.credential_id)


def test_a_registration_for_another_origin_or_replayed_is_refused(world, client):
    sign_in(client, "shokuin-head")
    key = authenticator()
    options = post_json(client, "reg_begin").json()

    wrong_origin = post_json(client, "reg_complete", key.register(options, origin="https://evil.example"))
    assert wrong_origin.status_code == 422
    replay = post_json(client, "reg_complete", key.register(options))
    assert replay.status_code == 400  # the challenge was used up by the first attempt
    assert not WebAuthnCredential.objects.exists()


def test_signing_in_with_a_passkey_passes_the_second_factor(world, client):
    user = world.users["shokuin_head"]
    key = authenticator()
    sign_in(client, "shokuin-head")
    register(client, key)
    client.post(reverse("users:mfa_after_passkey"))
    client.post(reverse("users:logout"))
    login_page = sign_in(client, "shokuin-head")
    assert login_page["Location"].startswith(reverse("users:mfa_verify"))
    page = client.get(login_page["Location"])
    assert b"passkey-verification-button" in page.content

    options = post_json(client, "auth_begin").json()
    assert [c["id"] for c in options["allowCredentials"]] == [credential_id_text(key)]
    response = post_json(client, "auth_complete", key.authenticate(options))

    assert response.status_code == 200, response.content
    assert response.json()["redirect_url"] == reverse("dashboard:home")
    assert client.get(reverse("dashboard:home"))["Location"].startswith(
        reverse("acknowledgements:acknowledge")
    )
    assert WebAuthnCredential.objects.get(user=user).sign_count == 1
    event = AuditEvent.objects.filter(action=AuditAction.MFA_VERIFIED, actor=user).latest("seq")
    assert event.new["device_type"] == "webauthn"


def test_a_bad_passkey_signature_is_refused_and_audited(world, client):
    user = world.users["shokuin_head"]
    key = authenticator()
    sign_in(client, "shokuin-head")
    register(client, key)
    client.post(reverse("users:logout"))
    sign_in(client, "shokuin-head")

    options = post_json(client, "auth_begin").json()
    response = post_json(client, "auth_complete", key.authenticate(options, tamper=True))

    assert response.status_code == 422
    assert client.get(reverse("dashboard:home"))["Location"].startswith(reverse("users:mfa_verify"))
    assert AuditEvent.objects.filter(action=AuditAction.MFA_FAILED, actor=user).get().new == {
        "method": "webauthn"
    }


def test_someone_elses_passkey_does_not_pass_my_second_factor(world, client, settings):
    theirs = authenticator()
    other_client = client.__class__()
    sign_in(other_client, "shiminzei-head")
    register(other_client, theirs)
    sign_in(client, "shokuin-head")
    register(client, authenticator())
    client.post(reverse("users:logout"))
    sign_in(client, "shokuin-head")

    options = post_json(client, "auth_begin").json()
    response = post_json(client, "auth_complete", theirs.authenticate(options))

    assert response.status_code == 403
    assert client.get(reverse("dashboard:home"))["Location"].startswith(reverse("users:mfa_verify"))


def test_a_passkey_cannot_replace_the_password(world, client):
    response = post_json(client, "auth_begin")  # nobody signed in
    assert response.status_code == 403


def test_a_user_who_has_not_passed_the_second_factor_cannot_register_another_passkey(world, client):
    user = world.users["shokuin_head"]
    login(client, user)  # has an authenticator app
    client.post(reverse("users:logout"))
    sign_in(client, "shokuin-head")  # password only

    response = post_json(client, "reg_begin")

    assert response.status_code == 302  # sent to the second-factor page instead
    assert response["Location"].startswith(reverse("users:mfa_verify"))
    assert not WebAuthnCredential.objects.exists()
