"""Passkeys as a second factor: django-otp-webauthn's JSON endpoints, with Kengen's audit trail.

The library does the WebAuthn ceremony (py_webauthn verifies every signature, challenge, origin
and relying-party ID); these subclasses only record each registration and each passed or failed
check in the audit log, and send the user on with a safe ``next``. They are mounted under the
``otp_webauthn`` namespace, which the library's template tags expect.
"""

from __future__ import annotations

import json

from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn import views as lib
from django_otp_webauthn.utils import get_credential_model

from kengen.users.receivers import client_ip
from kengen.users.services import passkey_registered_record, second_factor_result_record


class BeginRegistration(lib.BeginCredentialRegistrationView):
    pass


class CompleteRegistration(lib.CompleteCredentialRegistrationView):
    def post(self, *args, **kwargs):
        response = super().post(*args, **kwargs)  # raises (→ JSON error) unless stored
        device = get_credential_model().objects.get(pk=json.loads(response.content)["id"])
        passkey_registered_record(user=self.request.user, device=device, ip=client_ip(self.request))
        return response


class BeginAuthentication(lib.BeginCredentialAuthenticationView):
    pass


class CompleteAuthentication(lib.CompleteCredentialAuthenticationView):
    def complete_auth(self, device):
        # Second factor only (OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False): the user has
        # already signed in with their password, and the credential must be theirs (the library
        # checks both before calling this).
        user = super().complete_auth(device)
        self.request.session.cycle_key()  # new session key after the second factor (fixation)
        second_factor_result_record(user=self.request.user, device=device, ip=client_ip(self.request))
        return user

    def handle_exception(self, exc):
        user = getattr(self.request, "user", None)
        if user is not None and user.is_authenticated:
            second_factor_result_record(user=user, device=None, ip=client_ip(self.request), method="webauthn")
        return super().handle_exception(exc)

    def get_redirect_url(self):
        target = self.request.GET.get("next", "")
        if url_has_allowed_host_and_scheme(
            target, allowed_hosts={self.request.get_host()}, require_https=self.request.is_secure()
        ):
            return target
        return ""


app_name = "otp_webauthn"
urlpatterns = [
    path("registration/begin/", BeginRegistration.as_view(), name="credential-registration-begin"),
    path("registration/complete/", CompleteRegistration.as_view(), name="credential-registration-complete"),
    path("authentication/begin/", BeginAuthentication.as_view(), name="credential-authentication-begin"),
    path(
        "authentication/complete/",
        CompleteAuthentication.as_view(),
        name="credential-authentication-complete",
    ),
    path("jsi18n/", JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]), name="js-i18n-catalog"),
]
