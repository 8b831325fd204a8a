"""Kengen's authentication backend: Django's ``ModelBackend`` plus throttling and the in-force rule.

Being the backend, not the login view, it covers every way in: Kengen's sign-in page, the admin
site's, and anything else calling ``django.contrib.auth.authenticate``. And because Django asks the
backend for the user on every request (``get_user``), a user who is disabled or whose appointment
is no longer in force stops being signed in on the very next request.
"""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from kengen.users.selectors import user_in_force, user_with_sign_in_state

#: Set on the request when a sign-in was refused by the throttle (not a wrong password), so that
#: the failure receiver does not count it and the form can say how long to wait.
THROTTLED_ATTR = "_kengen_sign_in_throttled"


class KengenBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        from kengen.users.services import sign_in_refused_for

        if username is None:
            username = kwargs.get(self.get_user_model().USERNAME_FIELD)
        if username is not None:
            wait = sign_in_refused_for(username=username, ip=_ip(request))
            if wait:
                if request is not None:
                    setattr(request, THROTTLED_ATTR, wait)
                # Stops the backend chain; Django then sends user_login_failed (audited).
                raise PermissionDenied("throttled")
        return super().authenticate(request, username=username, password=password, **kwargs)

    def get_user(self, user_id):
        """The signed-in user of a request, checked in the same query as ``ModelBackend``'s two."""
        try:
            user = user_with_sign_in_state(user_id)
        except (ValueError, TypeError):  # a session naming a user ID of the wrong type
            return None
        return user if user is not None and self.user_can_authenticate(user) else None

    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user) and user_in_force(user)


def _ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None
