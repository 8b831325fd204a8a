"""Kengen's own sign-in, enforced on every request (see docs/security.md, "Kengen's own sign-in").

``SessionSecurityMiddleware``
    ends a session that has been idle or signed in for too long, or whose user the backend no
    longer accepts (disabled, or retired: no appointment in force today), and keeps the session's
    ``UserSession`` row in step (last seen, re-keyed sessions).
``SecondFactorMiddleware``
    after the password, users who must (or chose to) use a second factor reach nothing but the
    second-factor pages until they pass it, or set one up if they have none. A browser session
    that has not passed it cannot use the API either.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import Resolver404, resolve, reverse
from django.utils.functional import LazyObject, empty
from django.utils.translation import gettext as _

from kengen.users.choices import SecondFactorState, SessionEndReason
from kengen.users.receivers import SEEN_AT, SIGNED_IN_AT, TRACKED_KEY, client_ip

#: Seconds between refreshes of a session's "last seen" (each refresh writes the session).
TOUCH_INTERVAL = 60

#: Views a signed-in user may reach in every state (URL names, "namespace:name").
ALWAYS_ALLOWED = {"users:logout", "set_language", "otp_webauthn:js-i18n-catalog"}
ALLOWED_WHILE = {
    SecondFactorState.VERIFY: {
        "users:mfa_verify",
        "otp_webauthn:credential-authentication-begin",
        "otp_webauthn:credential-authentication-complete",
    },
    SecondFactorState.ENROL: {
        "users:security",
        "users:mfa_totp",
        "users:mfa_after_passkey",
        "otp_webauthn:credential-registration-begin",
        "otp_webauthn:credential-registration-complete",
    },
}


def is_api(request) -> bool:
    return request.path_info.startswith("/api/")


def view_name(request) -> str | None:
    try:
        return resolve(request.path_info).view_name
    except Resolver404:
        return None


def anonymous() -> AnonymousUser:
    user = AnonymousUser()
    user.otp_device = None  # type: ignore[attr-defined]  # as django-otp's middleware does
    user.is_verified = lambda: False  # type: ignore[attr-defined]
    return user


def concrete_user(user):
    """The user behind ``request.user``'s lazy wrappers (Django's ``AuthenticationMiddleware`` and
    django-otp's ``OTPMiddleware`` each wrap it), loaded. The wrappers only forward to it once it is
    loaded, but each attribute read through two of them costs two failed lookups and two calls,
    a few hundred times a page; the object itself (with ``otp_device`` and ``is_verified`` that
    django-otp set on it) answers the same."""
    while isinstance(user, LazyObject):
        if user._wrapped is empty:
            user._setup()
        user = user._wrapped
    return user


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def redirect_browser(request, url: str) -> HttpResponse:
    """A redirect that also works for htmx requests (which would otherwise swap the target page
    into a fragment)."""
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def with_next(request, url: str) -> str:
    if request.method == "GET" and not is_htmx(request):
        return f"{url}?{urlencode({'next': request.get_full_path()})}"
    return url


class SessionSecurityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.check(request)
        if response is not None:
            return response
        return self.get_response(request)

    def check(self, request) -> HttpResponse | None:
        session = getattr(request, "session", None)
        if session is None or session.get(SESSION_KEY) is None:
            return None
        if not request.user.is_authenticated:
            # The session names a user the backend no longer accepts.
            return self.end(request, self._not_in_force_reason(session.get(SESSION_KEY)))
        request.user = concrete_user(request.user)
        now = int(time.time())
        signed_in_at = session.get(SIGNED_IN_AT)
        seen_at = session.get(SEEN_AT)
        if signed_in_at is None or seen_at is None:
            # A session from before these checks existed: its clocks start now.
            session[SIGNED_IN_AT] = session[SEEN_AT] = now
            self._touch(request)
            return None
        if now - seen_at > settings.KENGEN_SESSION_IDLE_TIMEOUT:
            return self.end(request, SessionEndReason.IDLE)
        if now - signed_in_at > settings.KENGEN_SESSION_ABSOLUTE_TIMEOUT:
            return self.end(request, SessionEndReason.ABSOLUTE)
        if now - seen_at >= TOUCH_INTERVAL:  # not every request: each refresh writes the session
            session[SEEN_AT] = now
            self._touch(request)
        elif session.get(TRACKED_KEY) != session.session_key:
            self._touch(request)
        return None

    @staticmethod
    def _not_in_force_reason(user_id) -> SessionEndReason:
        from kengen.users.models import User

        user = User.objects.filter(pk=user_id).first()
        if user is None or not user.is_active:
            return SessionEndReason.DEACTIVATED
        return SessionEndReason.NOT_IN_FORCE

    @staticmethod
    def _touch(request) -> None:
        """Keep the session's ``UserSession`` row current, also after Django re-keyed the session
        (e.g. a password change), so that ending all sessions still reaches this one."""
        from django.utils import timezone

        from kengen.users.models import UserSession
        from kengen.users.services import user_session_register

        session = request.session
        key = session.session_key
        tracked = session.get(TRACKED_KEY)
        if key is None:
            return
        if tracked != key:
            if tracked:
                UserSession.objects.filter(session_key=tracked, user=request.user).delete()
            session[TRACKED_KEY] = key
            user_session_register(
                user=request.user,
                session_key=key,
                ip=client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
            )
        else:
            UserSession.objects.filter(session_key=key).update(last_seen_at=timezone.now())

    def end(self, request, reason: SessionEndReason) -> HttpResponse | None:
        from kengen.users.models import User
        from kengen.users.services import session_expired_record, user_session_forget

        session = request.session
        user_id = session.get(SESSION_KEY)
        user = User.objects.filter(pk=user_id).first()
        session_expired_record(user=user, user_id=user_id, reason=reason, ip=client_ip(request))
        user_session_forget(session_key=session.session_key)
        session.flush()
        request.user = anonymous()
        if is_api(request):
            return None  # carries on unauthenticated: the API answers 401
        text = {
            SessionEndReason.IDLE: _(
                "You were signed out because there was no activity for %(minutes)d minutes. "
                "Please sign in again."
            )
            % {"minutes": settings.KENGEN_SESSION_IDLE_TIMEOUT // 60},
            SessionEndReason.ABSOLUTE: _(
                "You were signed out because you had been signed in for %(hours)d hours. "
                "Please sign in again."
            )
            % {"hours": settings.KENGEN_SESSION_ABSOLUTE_TIMEOUT // 3600},
        }.get(reason, _("Your session has ended. Your Kengen sign-in is no longer in force."))
        messages.warning(request, text)
        login_url = resolve_url(settings.LOGIN_URL)
        if request.method == "GET" and not is_htmx(request):
            return redirect_to_login(request.get_full_path(), login_url)
        return redirect_browser(request, login_url)


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.check(request)
        if response is not None:
            return response
        return self.get_response(request)

    def check(self, request) -> HttpResponse | None:
        from kengen.users.selectors import second_factor_state

        user = request.user
        if not user.is_authenticated:
            return None
        state = second_factor_state(user)
        request.kengen_second_factor = state
        request.kengen_sign_in_pending = state != SecondFactorState.DONE  # base.html hides the menu
        if state == SecondFactorState.DONE:
            return self.check_password_change(request, user)
        if is_api(request):
            request.user = anonymous()  # the session is not signed in until the second factor
            return None
        name = view_name(request)
        if name in ALWAYS_ALLOWED or name in ALLOWED_WHILE[state]:
            return None
        target = reverse("users:mfa_verify" if state == SecondFactorState.VERIFY else "users:security")
        return redirect_browser(request, with_next(request, target))

    def check_password_change(self, request, user) -> HttpResponse | None:
        """After a reset, every page leads to the password change until a new one is chosen."""
        if not getattr(user, "must_change_password", False) or is_api(request):
            return None
        request.kengen_sign_in_pending = True  # base.html hides the menu
        request.kengen_must_change_password = True  # the A9 acknowledgement waits until then
        if view_name(request) in ALWAYS_ALLOWED or view_name(request) == "users:password_change":
            return None
        return redirect_browser(request, reverse("users:password_change"))
