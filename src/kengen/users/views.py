"""Signing in and out, the second factor, the user's own page, sessions and API tokens."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from kengen.core.refusals import refusals_on
from kengen.core.views import paginate
from kengen.roles.selectors import scope_for
from kengen.users.choices import SecondFactorState, SessionEndReason
from kengen.users.forms import CodeForm, PasswordChangeForm, SignInForm, TokenCreateForm, wait_text
from kengen.users.models import ApiToken, RecoveryCodeDevice, User, UserSession
from kengen.users.receivers import client_ip, second_factor_login
from kengen.users.selectors import devices_of, has_primary_device, mfa_required, second_factor_state
from kengen.users.services import (
    api_token_create,
    api_token_revoke,
    recovery_codes_issue,
    second_factor_device_remove,
    second_factor_verify,
    totp_device_confirm,
    totp_device_start,
    user_password_change,
    user_password_reset,
    user_sessions_end,
)


def _safe_next(request) -> str:
    target = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME) or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({REDIRECT_FIELD_NAME: next_url})}" if next_url else url


class LoginView(auth_views.LoginView):
    template_name = "users/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_success_url(self):
        """Straight on to the second factor (or its set-up) when the user needs one."""
        url = super().get_success_url()
        state = second_factor_state(self.request.user)
        if state == SecondFactorState.VERIFY:
            return _with_next(reverse("users:mfa_verify"), url)
        if state == SecondFactorState.ENROL:
            return _with_next(reverse("users:security"), url)
        return url


class LogoutView(auth_views.LogoutView):
    """POST only (Django 5): a link cannot sign anyone out."""


@login_required
def me(request):
    """The signed-in user's own page: who they are in Kengen and their roles."""
    return render(request, "users/me.html", {})


# --- second factor -------------------------------------------------------------------------------


@never_cache
@login_required
def mfa_verify(request):
    """Second step of signing in: an authenticator-app code, a passkey, or a recovery code."""
    next_url = _safe_next(request)
    if getattr(request, "kengen_second_factor", None) != SecondFactorState.VERIFY:
        return HttpResponseRedirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        outcome = second_factor_verify(
            user=request.user, code=form.cleaned_data["code"], ip=client_ip(request)
        )
        if outcome.ok:
            second_factor_login(request, outcome.device)
            if isinstance(outcome.device, RecoveryCodeDevice):
                remaining = outcome.device.remaining
                messages.warning(
                    request,
                    _("You used a recovery code; %(n)d remain. Make new ones on your security page.")
                    % {"n": remaining},
                )
            return HttpResponseRedirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))
        if outcome.wait_seconds:
            form.add_error(
                None,
                _("Too many wrong codes. Try again in %(wait)s.") % {"wait": wait_text(outcome.wait_seconds)},
            )
        else:
            form.add_error(
                "code", _("That code is not right. Check the time on your phone, or use a recovery code.")
            )
    devices = devices_of(request.user)
    return render(
        request,
        "users/mfa_verify.html",
        {
            "form": form,
            "next": next_url,
            "has_totp": bool(devices["totp"]),
            "has_passkey": bool(devices["passkeys"]),
        },
    )


def _qr_svg(data: str) -> str:
    """The QR code as inline SVG, made here: the secret never goes to another service."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=4)
    buf = io.BytesIO()
    image.save(buf)
    svg = buf.getvalue().decode()
    return svg[svg.index("<svg") :]


def _secret_text(device: TOTPDevice) -> str:
    import base64

    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@never_cache
@login_required
def security(request):
    """Second factors (add, remove), recovery codes, and the user's signed-in sessions."""
    state = getattr(request, "kengen_second_factor", SecondFactorState.DONE)
    devices = devices_of(request.user)
    recovery = devices["recovery"][0] if devices["recovery"] else None
    sessions = UserSession.objects.filter(user=request.user).order_by("-created_at")
    return render(
        request,
        "users/security.html",
        {
            "enrolling": state == SecondFactorState.ENROL,
            "required": mfa_required(request.user),
            "devices": devices,
            "recovery_remaining": recovery.remaining if recovery else None,
            "sessions": sessions,
            "current_session_key": request.session.session_key,
            "next": _safe_next(request),
        },
    )


def _show_recovery_codes(request, codes: list[str], next_url: str):
    return render(request, "users/recovery_codes.html", {"codes": codes, "next": next_url})


@never_cache
@login_required
def mfa_totp(request):
    """Set up an authenticator app: QR code and secret, then one code to confirm it."""
    next_url = _safe_next(request)
    form = CodeForm(request.POST or None)
    device = None
    if request.method == "POST":
        device = TOTPDevice.objects.filter(
            user=request.user, pk=request.POST.get("device"), confirmed=False
        ).first()
    if device is None:
        device = totp_device_start(user=request.user)
        form = CodeForm()
    elif form.is_valid():
        outcome = totp_device_confirm(
            user=request.user, device_id=device.pk, code=form.cleaned_data["code"], ip=client_ip(request)
        )
        if outcome.ok:
            if not request.user.is_verified():
                second_factor_login(request, outcome.device)
            messages.success(request, _("Your authenticator app is set up."))
            if not RecoveryCodeDevice.objects.filter(user=request.user).exists():
                codes = recovery_codes_issue(user=request.user, ip=client_ip(request))
                return _show_recovery_codes(request, codes, next_url)
            return redirect(_with_next(reverse("users:security"), next_url))
        if outcome.wait_seconds:
            form.add_error(
                None,
                _("Too many wrong codes. Try again in %(wait)s.") % {"wait": wait_text(outcome.wait_seconds)},
            )
        else:
            form.add_error("code", _("That code is not right. Check that the time on your phone is correct."))
    return render(
        request,
        "users/mfa_totp.html",
        {
            "form": form,
            "device": device,
            "qr_svg": mark_safe(_qr_svg(device.config_url)),  # SVG made by qrcode here; no user input
            "secret": _secret_text(device),
            "next": next_url,
        },
    )


@never_cache
@require_POST
@login_required
def mfa_after_passkey(request):
    """Called by the page once a passkey is registered: first set-up also issues recovery codes."""
    next_url = _safe_next(request)
    if not has_primary_device(request.user):
        return redirect(_with_next(reverse("users:security"), next_url))
    messages.success(request, _("Your passkey is registered."))
    if not RecoveryCodeDevice.objects.filter(user=request.user).exists():
        codes = recovery_codes_issue(user=request.user, ip=client_ip(request))
        return _show_recovery_codes(request, codes, next_url)
    return redirect(_with_next(reverse("users:security"), next_url))


@never_cache
@require_POST
@login_required
def recovery_codes_new(request):
    """A fresh set of recovery codes, shown once; the old ones stop working."""
    if not has_primary_device(request.user):
        messages.error(request, _("Set up an authenticator app or a passkey first."))
        return redirect("users:security")
    codes = recovery_codes_issue(user=request.user, ip=client_ip(request))
    return _show_recovery_codes(request, codes, "")


@require_POST
@login_required
def mfa_device_remove(request, kind: str, pk: int):
    second_factor_device_remove(user=request.user, kind=kind, device_id=pk, ip=client_ip(request))
    messages.success(request, _("The second factor was removed."))
    return redirect("users:security")


@require_POST
@login_required
def sessions_end_others(request):
    """Sign out every other browser where this user is signed in."""
    n = user_sessions_end(
        user=request.user,
        reason=SessionEndReason.SIGNED_OUT_ELSEWHERE,
        actor=request.user,
        keep_session_key=request.session.session_key,
        ip=client_ip(request),
    )
    messages.success(request, _("Signed out of %(n)d other session(s).") % {"n": n})
    return redirect("users:security")


# --- API tokens ----------------------------------------------------------------------------------


@never_cache
@login_required
def tokens(request):
    """List the user's own API tokens; POST creates one and shows its value once."""
    form = TokenCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        issued = api_token_create(
            user=request.user,
            name=form.cleaned_data["name"],
            expires_in_days=form.cleaned_data["expires_in_days"],
        )
        # The raw value goes into this one (never cached) response only: never a message, log, URL
        # or session.
        return render(request, "users/token_created.html", {"token": issued.token, "raw": issued.raw})
    own = ApiToken.objects.filter(user=request.user).order_by("-created_at")
    return render(request, "users/tokens.html", {"form": form, "tokens": own})


@require_POST
@login_required
def token_revoke(request, pk: int):
    token = api_token_revoke(user=request.user, token_id=pk)
    messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("users:tokens")


@never_cache
@login_required
def password_change(request):
    """Change one's own Kengen sign-in password (forced after a reset by the administrator)."""
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with refusals_on(form, fields=True):
            user = user_password_change(
                user=request.user,
                current=form.cleaned_data["current"],
                new=form.cleaned_data["new"],
                keep_session_key=request.session.session_key,
                ip=client_ip(request),
            )
            update_session_auth_hash(request, user)
            messages.success(request, _("Your password was changed. Other sessions were signed out."))
            return redirect("users:me")
    return render(
        request,
        "users/password_change.html",
        {"form": form, "forced": request.user.must_change_password},
    )


@never_cache
@login_required
def password_reset_list(request):
    """The configuration administrator's list of Kengen users, to reset a forgotten password."""
    if not scope_for(request.user).is_configurator:
        raise Http404
    q = (request.GET.get("q") or "").strip()[:50]
    users = User.objects.select_related("person").order_by("username")
    if q:
        users = users.filter(
            Q(username__icontains=q)
            | Q(person__family_name__icontains=q)
            | Q(person__given_name__icontains=q)
            | Q(person__staff_number__icontains=q)
        )
    return render(request, "users/password_reset_list.html", {"q": q, **paginate(request, users)})


@never_cache
@require_POST
@login_required
def password_reset(request, pk: int):
    if not scope_for(request.user).is_configurator:
        raise Http404
    target = get_object_or_404(User, pk=pk)
    with refusals_on(form := forms.Form()):
        done = user_password_reset(actor=request.user, user=target, ip=client_ip(request))
        # The temporary password is shown on this response only (no-store), never stored in clear.
        return render(
            request, "users/password_reset_done.html", {"target": done.user, "password": done.password}
        )
    messages.error(request, " ".join(str(e) for e in form.non_field_errors()))
    return redirect("users:password_reset_list")
