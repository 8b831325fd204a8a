"""Signing in and out, the user's own page and their API tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from kengen.users.forms import SignInForm, TokenCreateForm
from kengen.users.models import ApiToken
from kengen.users.services import api_token_create, api_token_revoke


class LoginView(auth_views.LoginView):
    template_name = "users/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """POST only (Django 5): a link cannot sign anyone out."""


@login_required
def me(request):
    """The signed-in user's own page: who they are in Kengen and their roles."""
    return render(request, "users/me.html", {})


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
        return render(
            request, "users/token_created.html", {"token": issued.token, "raw": issued.raw}
        )
    own = ApiToken.objects.filter(user=request.user).order_by("-created_at")
    return render(request, "users/tokens.html", {"form": form, "tokens": own})


@require_POST
@login_required
def token_revoke(request, pk: int):
    token = api_token_revoke(user=request.user, token_id=pk)
    messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("users:tokens")
