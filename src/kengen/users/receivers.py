"""Keeping sign-in state in step with what happens elsewhere.

- A sign-in starts a tracked session (``UserSession``) with its timeout clocks, and clears the
  failure counts of its name and address; a sign-out forgets the session.
- A failed sign-in is counted for throttling (the audit event itself is written by
  ``kengen.audit.signals``, which keeps only the name, never the password).
- Disabling a user, or recording the end of a person's appointment on or before today, ends all
  of that person's sessions at once. Ends that lie in the future take effect on their date through
  the per-request check (``KengenBackend.user_can_authenticate``).

Connected in ``UsersConfig.ready``.
"""

from __future__ import annotations

import time

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save
from django.utils import timezone

from kengen.people.models import Appointment
from kengen.users.backends import THROTTLED_ATTR
from kengen.users.choices import SessionEndReason

SIGNED_IN_AT = "kengen_signed_in_at"
SEEN_AT = "kengen_seen_at"
TRACKED_KEY = "kengen_tracked_key"


def client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def second_factor_login(request, device) -> None:
    """Mark the session as having passed the second factor with ``device`` (django-otp) and give
    it a new session key: the privilege of the session changed, so a key that may have been seen
    before this step (fixation) must not carry it (security review, issue 10). The session's
    data, its timeout clocks and its ``UserSession`` row (re-keyed by the middleware) are kept."""
    from django_otp import login as otp_login

    otp_login(request, device)
    request.session.cycle_key()


def _logged_in(sender, request, user, **kwargs):
    from kengen.users.services import sign_in_success_record, user_session_register

    if request is None or not hasattr(request, "session"):
        return
    now = int(time.time())
    request.session[SIGNED_IN_AT] = now
    request.session[SEEN_AT] = now
    if request.session.session_key is None:
        request.session.save()
    key = request.session.session_key
    request.session[TRACKED_KEY] = key
    user_session_register(
        user=user,
        session_key=key,
        ip=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
    )
    sign_in_success_record(username=user.get_username(), ip=client_ip(request))


def _logged_out(sender, request, user, **kwargs):
    from kengen.users.services import user_session_forget

    if request is not None and hasattr(request, "session"):
        user_session_forget(session_key=request.session.session_key)


def _login_failed(sender, credentials, request=None, **kwargs):
    from kengen.users.services import sign_in_failure_record

    if request is not None and getattr(request, THROTTLED_ATTR, 0):
        return  # refused without a check: not counted, or a refusal would prolong itself
    username = credentials.get("username")
    sign_in_failure_record(username=str(username) if username is not None else None, ip=client_ip(request))


def _user_saved(sender, instance, created, update_fields=None, **kwargs):
    from kengen.users.services import user_sessions_end

    if created or instance.is_active:
        return
    if update_fields is not None and "is_active" not in update_fields:
        return
    user_sessions_end(user=instance, reason=SessionEndReason.DEACTIVATED)


def _appointment_saved(sender, instance, created, **kwargs):
    from kengen.users.models import User
    from kengen.users.selectors import user_in_force
    from kengen.users.services import user_sessions_end

    if instance.valid_to is None or instance.valid_to > timezone.localdate():
        return
    user = User.objects.filter(person_id=instance.person_id).first()
    if user is not None and not user_in_force(user):
        user_sessions_end(user=user, reason=SessionEndReason.NOT_IN_FORCE)


def connect() -> None:
    from django.conf import settings

    user_logged_in.connect(_logged_in, dispatch_uid="kengen.users.logged_in")
    user_logged_out.connect(_logged_out, dispatch_uid="kengen.users.logged_out")
    user_login_failed.connect(_login_failed, dispatch_uid="kengen.users.login_failed")
    post_save.connect(_user_saved, sender=settings.AUTH_USER_MODEL, dispatch_uid="kengen.users.user_saved")
    post_save.connect(_appointment_saved, sender=Appointment, dispatch_uid="kengen.users.appointment_saved")
