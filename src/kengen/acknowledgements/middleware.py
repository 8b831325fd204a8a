"""A9.2: until a signed-in user has acknowledged the personal-information duties (first sign-in,
then again every configured interval or when the text changes), every page leads to the
acknowledgement page. The API is not affected."""

from __future__ import annotations

from django.urls import reverse

from kengen.users.choices import SecondFactorState
from kengen.users.middleware import is_api, redirect_browser, view_name, with_next

ALLOWED = {
    "acknowledgements:acknowledge",
    "users:logout",
    "set_language",
    "otp_webauthn:js-i18n-catalog",
    "users:mfa_after_passkey",  # finishing a passkey set-up shows the recovery codes first
}


class AcknowledgementMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from kengen.acknowledgements.selectors import acknowledgement_due

        user = request.user
        if (
            user.is_authenticated
            and getattr(user, "person_id", None)
            and not is_api(request)
            and not getattr(request, "kengen_must_change_password", False)
            and getattr(request, "kengen_second_factor", SecondFactorState.DONE) == SecondFactorState.DONE
            and acknowledgement_due(user=user)
        ):
            request.kengen_sign_in_pending = True  # base.html hides the menu
            if view_name(request) not in ALLOWED:
                return redirect_browser(request, with_next(request, reverse("acknowledgements:acknowledge")))
        return self.get_response(request)
