"""Passwords in the management file: lists, the one-time reveal page, self-service change,
policies and system API keys, and 別記様式2.

A page that shows a generated secret (reveal, maintenance password, API key) renders it in that
one response only: never in a message, the session, a URL, a log or a cache (``never_cache``).
Password fields are never re-displayed, and views that receive them hide them from error reports.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST

from kengen.core.access import audit_refusal, get_visible
from kengen.core.exceptions import NotFound
from kengen.core.forms import client_ip
from kengen.core.refusals import refusals_on
from kengen.core.views import paginate
from kengen.credentials.choices import (
    CredentialStatus,
    RecordedEvent,
)
from kengen.credentials.forms import (
    ApiKeyForm,
    PasswordApplicationForm,
    PasswordChangeForm,
    PolicyForm,
    RecordEventForm,
)
from kengen.credentials.models import CredentialEvent, PasswordApplication, SystemApiKey
from kengen.credentials.pdf import render_form2
from kengen.credentials.selectors import (
    POLICY_FIELDS,
    credential_rows,
    own_accounts,
    policy_for,
    with_password_status,
)
from kengen.credentials.services import (
    FORM2,
    TEMPORARY_PASSWORD_SYSTEMS,
    credential_policy_editable_by,
    credential_policy_set,
    maintenance_password_set,
    password_application_complete,
    password_application_create,
    password_change,
    password_event_record,
    require_credential_policy_editor,
    requires_officer,
    reveal_link_for,
    system_api_key_create,
    system_api_key_revoke,
    temporary_password_issue,
    temporary_password_reveal,
)
from kengen.grants.choices import AccountKind
from kengen.grants.models import Account
from kengen.people.models import Person
from kengen.roles.selectors import scope_for
from kengen.systems.choices import SystemKind
from kengen.systems.models import System
from kengen.workflow.views import (
    action_view,
    pdf_views,
    workflow_detail_context,
    workflow_list_context,
)

STATUS_BADGES = {
    CredentialStatus.NONE: "neutral",
    CredentialStatus.TEMPORARY: "warning",
    CredentialStatus.ACTIVE: "success",
    CredentialStatus.DUE_SOON: "warning",
    CredentialStatus.EXPIRED: "error",
    CredentialStatus.LOCKED: "error",
}


def _decorate(rows):
    for row in rows:
        row.badge = STATUS_BADGES.get(row.status, "neutral")
        row.status_label = CredentialStatus(row.status).label
    return rows


def _secret_page(
    request,
    *,
    title: str,
    value: str,
    lead: str,
    back: str,
    details=None,
    status: int = 200,
    label: str | None = None,
):
    """The one response that shows a generated secret, labelled ``label``; without one it is a
    password (kept as an Argon2id fingerprint, which the page says)."""
    response = render(
        request,
        "credentials/secret.html",
        {
            "title": title,
            "value": value,
            "lead": lead,
            "back": back,
            "details": details or [],
            "label": label or _("Password"),
            "argon2": label is None,
        },
        status=status,
    )
    # Issue 11: never "no-referrer" — with it Chromium posts the page's forms (sign out, the next
    # action) with "Origin: null" and the CSRF check refuses them. The page's URL carries no token
    # (the value is the answer to a POST), so the site's "same-origin" policy leaks nothing.
    response["Referrer-Policy"] = "same-origin"
    return response


# --- lists and one user ID ---------------------------------------------------------------------


@login_required
def credential_list(request):
    """The passwords of the user IDs the user may see in the management file (today)."""
    today = timezone.localdate()
    scope = scope_for(request.user)
    accounts = (
        Account.objects.restrict(request.user, "view")
        .as_of(today)
        .order_by("system__sort_order", "user_id", "pk")
        .select_related("system", "person", "holder_organization")
    )
    systems = System.objects.filter(parent__isnull=True).as_of(today).order_by("sort_order", "code")
    system_id = request.GET.get("system", "")
    if system_id.isdigit():
        accounts = accounts.filter(system_id=int(system_id))
    # The status in SQL, the page in SQL: only the page's rows are built (CONVENTIONS 14).
    now = timezone.now()
    accounts = with_password_status(accounts, now)
    status = request.GET.get("status", "")
    if status in CredentialStatus.values:
        accounts = accounts.filter(password_status=status)
    page = paginate(request, accounts)
    page["page_obj"].object_list = _decorate(credential_rows(page["page_obj"].object_list, now))
    administered = [s for s in systems if s.id in scope.administered_system_ids]
    return render(
        request,
        "credentials/list.html",
        {
            "systems": systems,
            "system_id": system_id,
            "status": status,
            "statuses": CredentialStatus.choices,
            "administered": administered,
            **page,
        },
    )


@login_required
def account_detail(request, pk: int):
    account = get_visible(Account, request.user, pk=pk, ip_address=client_ip(request))
    (row,) = _decorate(credential_rows(Account.objects.filter(pk=account.pk)))
    scope = scope_for(request.user)
    is_admin = account.system_id in scope.administered_system_ids
    policy = row.policy
    events = CredentialEvent.objects.filter(account=account).select_related("actor")[:50]
    can_issue = (
        is_admin
        and policy.holds_verifier
        and (
            account.kind == AccountKind.MAINTENANCE
            or (account.kind == AccountKind.PERSONAL and account.system.kind in TEMPORARY_PASSWORD_SYSTEMS)
        )
    )
    return render(
        request,
        "credentials/account.html",
        {
            "account": account,
            "row": row,
            "policy": policy,
            "events": events,
            "is_admin": is_admin,
            "can_issue": can_issue,
            "can_set_maintenance": is_admin
            and policy.holds_verifier
            and account.kind == AccountKind.MAINTENANCE,
            "can_record": is_admin and not policy.holds_verifier and account.kind != AccountKind.VIEWING,
            "record_form": RecordEventForm(initial={"event": RecordedEvent.CHANGED}),
        },
    )


@never_cache
@login_required
@require_POST
def account_action(request, pk: int, action: str):
    account = get_visible(Account, request.user, pk=pk, ip_address=client_ip(request))
    back = redirect("credentials:account", account.pk)
    if action == "temporary":
        issued = temporary_password_issue(actor=request.user, account=account)
        if issued.value:  # maintenance staff (A8.8): the administrator hands it over
            return _secret_page(
                request,
                title=_("Temporary password for %(uid)s") % {"uid": account.user_id},
                value=issued.value,
                lead=_(
                    "Hand this temporary password to the maintenance staff member in person. They must change "
                    "it at first use. It is not shown again."
                ),
                back=back.url,
            )
        assert issued.officer is not None  # system users: no value, the officer was notified (A8.3)
        messages.success(
            request,
            _(
                "A temporary password was registered. %(officer)s, the security officer, "
                "has been notified and can see it once (Art. 8(3)); you cannot."
            )
            % {"officer": issued.officer.full_name},
        )
        return back
    if action == "maintenance":
        secret = maintenance_password_set(actor=request.user, account=account)
        return _secret_page(
            request,
            title=_("Password for %(uid)s") % {"uid": account.user_id},
            value=secret.value,
            lead=_(
                "Hand this password to the maintenance staff member in person (Art. 8(8)). It is not shown "
                "again and expires at the latest when their maintenance registration ends."
            ),
            back=back.url,
        )
    if action == "record":
        form = RecordEventForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose what happened."))
            return back
        d = form.cleaned_data
        at = None
        if d["occurred_on"]:
            at = timezone.make_aware(dt.datetime.combine(d["occurred_on"], dt.time(12)))
        password_event_record(
            actor=request.user, account=account, event=d["event"], occurred_at=at, reference=d["reference"]
        )
        messages.success(request, _("Recorded."))
        return back
    return HttpResponse(status=404)


# --- the one-time reveal (A8.3) ----------------------------------------------------------------


@never_cache
@login_required
def reveal(request):
    """The one-time reveal (A8.3). The token never travels in a URL that reaches a log (issue 10):
    the notification's link carries it in the fragment, ``credentials/reveal.js`` posts it.

    GET: the page that picks the token up. POST ``token``: the confirmation (so a link preview or
    a mail scanner cannot use up the link). POST ``token`` + ``confirm``: the value, once."""
    token = request.POST.get("token", "") if request.method == "POST" else ""
    # These two pages keep the site's "same-origin" referrer policy: with "no-referrer" browsers
    # send "Origin: null" with the form's POST and the CSRF check refuses it (and their URL
    # carries no token any more).
    if not token:
        return render(request, "credentials/reveal_start.html", {})
    if len(token) > 100 or not token.isascii():
        raise NotFound(_("Not found."))
    link = reveal_link_for(actor=request.user, token=token, ip_address=client_ip(request))
    account = link.credential.account
    if request.POST.get("confirm"):
        value = temporary_password_reveal(actor=request.user, token=token, ip_address=client_ip(request))
        assert account.person is not None  # reveal links are made only for system users' own IDs (A8.3)
        return _secret_page(
            request,
            title=_("Temporary password for %(name)s") % {"name": account.person.full_name},
            value=value,
            lead=_(
                "Hand it to %(name)s in person; do not send it by email or chat (Art. 8(5)). They must change "
                "it the first time they use it (Art. 8(4)). This page is shown once: the link no longer "
                "works."
            )
            % {"name": account.person.full_name},
            back="/",
            details=[(_("System"), account.system.name), (_("User ID"), account.user_id)],
        )
    return render(
        request, "credentials/reveal_confirm.html", {"link": link, "account": account, "token": token}
    )


# --- my passwords -----------------------------------------------------------------------------


@login_required
def my_passwords(request):
    rows = _decorate(credential_rows(own_accounts(request.user)))
    person = getattr(request.user, "person", None)
    officer_applies = person is not None and requires_officer(person, timezone.localdate())
    return render(request, "credentials/mine.html", {"rows": rows, "officer_applies": officer_applies})


@never_cache
@sensitive_variables("form")
@sensitive_post_parameters("current_password", "new_password", "new_password_confirm")
@login_required
def my_password_change(request, pk: int):
    account = get_visible(Account, request.user, pk=pk, ip_address=client_ip(request))
    if account.person_id is None or account.person_id != request.user.person_id:
        return HttpResponse(status=404)
    policy = policy_for(account.system)
    form = PasswordChangeForm(request.POST or None, min_length=policy.min_length)
    if request.method == "POST" and form.is_valid():
        with refusals_on(form, fields=True):
            password_change(
                actor=request.user,
                account=account,
                current=form.cleaned_data["current_password"],
                new=form.cleaned_data["new_password"],
                ip_address=client_ip(request),
            )
            messages.success(
                request,
                _("The password of %(uid)s on %(system)s was changed.")
                % {"uid": account.user_id, "system": account.system.name},
            )
            return redirect("credentials:mine")
    (row,) = _decorate(credential_rows(Account.objects.filter(pk=account.pk)))
    return render(
        request, "credentials/change.html", {"form": form, "account": account, "row": row, "policy": policy}
    )


# --- policies and API keys --------------------------------------------------------------------


@login_required
def policy_edit(request, pk: int):
    system = get_visible(System, request.user, pk=pk).account_system
    can_change = credential_policy_editable_by(request.user, system)
    policy = policy_for(system)
    form = PolicyForm(request.POST or None, initial={name: getattr(policy, name) for name in POLICY_FIELDS})
    if request.method == "POST":
        require_credential_policy_editor(request.user, system)  # 403 (audited) before the form is read
        if form.is_valid():
            with refusals_on(form, fields=True):
                credential_policy_set(actor=request.user, system=system, **form.cleaned_data)
                messages.success(
                    request, _("The password policy of %(system)s was saved.") % {"system": system.name}
                )
                return redirect("credentials:policy", system.pk)
    return render(
        request,
        "credentials/policy.html",
        {"system": system, "policy": policy, "form": form, "can_change": can_change},
    )


@never_cache
@login_required
def api_keys(request, pk: int):
    system = get_visible(System, request.user, pk=pk).account_system
    if system.id not in scope_for(request.user).administered_system_ids:  # 404, audited
        audit_refusal(request.user, system, action="api_keys", ip_address=client_ip(request))
        return HttpResponse(status=404)
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        issued = system_api_key_create(actor=request.user, system=system, name=form.cleaned_data["name"])
        return _secret_page(
            request,
            title=_("API key for %(system)s") % {"system": system.name},
            value=issued.raw,
            lead=_(
                "Configure %(system)s with this key now: it is not shown again. Kengen keeps only a "
                "fingerprint. Send it as: Authorization: Bearer <key>."
            )
            % {"system": system.name},
            back=request.path,
            details=[(pgettext("thing", "Name"), issued.key.name)],
            label=_("API key"),
        )
    keys = SystemApiKey.objects.restrict(request.user).filter(system=system)
    return render(
        request,
        "credentials/keys.html",
        {"system": system, "keys": keys, "form": form, "policy": policy_for(system)},
    )


@login_required
@require_POST
def api_key_revoke(request, pk: int):
    key = get_visible(SystemApiKey, request.user, pk=pk, ip_address=client_ip(request))
    system_api_key_revoke(actor=request.user, key=key)
    messages.success(request, _("The key “%(name)s” was revoked.") % {"name": key.name})
    return redirect("credentials:keys", key.system_id)


# --- 別記様式2 ----------------------------------------------------------------------------------


@login_required
def form2_list(request):
    apps = PasswordApplication.objects.restrict(request.user).select_related(
        "system", "account", "person", "organization"
    )
    return render(
        request,
        "credentials/form2_list.html",
        workflow_list_context(request, PasswordApplication, apps),
    )


def _form2_accounts(user) -> list[tuple[int, str]]:
    """User IDs on systems that hold their own passwords that ``user`` may apply for (A8.1): their
    own, unless they are a fiscal-year appointee; and, as security officer, those of the
    fiscal-year appointees of their units."""
    today = timezone.localdate()
    choices = []
    people = {p.pk: p for p in Person.objects.restrict(user, "change", on=today)}
    if user.person_id:
        people.setdefault(user.person_id, user.person)
    accounts = (
        Account.objects.filter(person_id__in=list(people), kind=AccountKind.PERSONAL)
        .as_of(today)
        .select_related("system", "person")
        .order_by("person__family_name_kana", "system__sort_order")
    )
    for a in accounts:
        assert a.person is not None  # personal IDs have a holder (account_holder_matches_kind)
        if policy_for(a.system).holds_verifier and a.system.kind != SystemKind.INDIVIDUAL:
            continue  # Kengen-held individual systems: a Form 2 registration gives the first password
        fiscal = requires_officer(a.person, today)
        if (a.person_id == user.person_id) == fiscal:  # self for regular staff, officer for appointees
            continue
        choices.append((a.pk, f"{a.person.full_name}（{a.system.name}：{a.user_id}）"))
    return choices


@login_required
def form2_new(request):
    accounts = _form2_accounts(request.user)
    form = PasswordApplicationForm(
        request.POST or None, accounts=accounts, initial={"account": request.GET.get("account")}
    )
    if request.method == "POST" and form.is_valid():
        account = get_visible(Account, request.user, pk=form.cleaned_data["account"])
        with refusals_on(form):
            app = password_application_create(
                actor=request.user,
                account=account,
                kind=form.cleaned_data["kind"],
                reason=form.cleaned_data["reason"],
            )
            messages.success(
                request,
                _("Application %(number)s was saved as a draft. Check it and submit it.")
                % {"number": app.number},
            )
            return redirect("credentials:form2_detail", app.pk)
    return render(request, "credentials/form2_new.html", {"form": form, "has_accounts": bool(accounts)})


@login_required
def form2_detail(request, pk: int):
    app = get_visible(PasswordApplication, request.user, pk=pk, ip_address=client_ip(request))
    return render(request, "credentials/form2_detail.html", workflow_detail_context(request, app))


def _complete(request, app: PasswordApplication) -> str:
    password_application_complete(actor=request.user, application=app)
    return _("Recorded as completed. The applicant has been notified.")


form2_action = action_view(
    FORM2,
    decide=("complete", _complete),
    rejected_message=gettext_lazy("Rejected. The applicant has been notified."),
)
form2_pdf, form2_blank_pdf = pdf_views(PasswordApplication, render_form2, "form2")
