"""Viewing IDs (A11): ask, lend (the password is shown once to the officer), return, and the
lending record with its CSV/Excel export (A11.3)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from kengen.audit.exports import audited_export
from kengen.core.access import get_visible
from kengen.core.exports import Table, export_name
from kengen.core.forms import client_ip
from kengen.core.refusals import back_on_refusal, refusals_on
from kengen.core.views import export_format, paginate
from kengen.credentials.selectors import policy_for
from kengen.grants.choices import AccountKind
from kengen.grants.models import Account
from kengen.organizations.models import Organization
from kengen.organizations.selectors import OrgTree
from kengen.people.models import Person
from kengen.roles.selectors import scope_for
from kengen.systems.models import System, SystemPermission
from kengen.viewing.choices import LendingStatus
from kengen.viewing.forms import LendForm, RefuseForm, ViewingIdForm, ViewingRequestForm
from kengen.viewing.models import ViewingLending
from kengen.viewing.services import (
    lending_headers,
    lending_rows,
    viewing_id_create,
    viewing_lend,
    viewing_refuse,
    viewing_request,
    viewing_return,
    viewing_withdraw,
)


@login_required
def lending_list(request):
    """The lending record (A11.3): what the user may see, filterable, exportable."""
    lendings = ViewingLending.objects.restrict(request.user).select_related(
        "account__system", "holder_organization", "lent_by", "viewer"
    )
    status = request.GET.get("status", "")
    if status in LendingStatus.values:
        lendings = lendings.filter(status=status)
    if export := export_format(request):
        fmt, encoding = export
        table = Table(title=_("Viewing ID lendings"), headers=lending_headers(), rows=lending_rows(lendings))
        return audited_export(
            request,
            table,
            fmt=fmt,
            encoding=encoding,
            filename=f"viewing-lendings-{timezone.localdate().isoformat()}",
            name=export_name(_("Viewing ID lendings"), timezone.localdate()),
            label="viewing ID lendings",
            details={"status": status or None},
        )
    scope = scope_for(request.user)
    waiting = (
        ViewingLending.objects.restrict(request.user, "change").filter(status=LendingStatus.REQUESTED).count()
        if scope.is_officer
        else 0
    )
    return render(
        request,
        "viewing/list.html",
        {
            "status": status,
            "statuses": LendingStatus.choices,
            "waiting": waiting,
            **paginate(request, lendings),
        },
    )


def _holder_units(user) -> list[tuple[int, str]]:
    """Units that hold viewing IDs today (the viewer picks whose terminals they need)."""
    today = timezone.localdate()
    tree = OrgTree(today)
    ids = set(
        Account.objects.filter(kind=AccountKind.VIEWING)
        .as_of(today)
        .values_list("holder_organization_id", flat=True)
    )
    return [(i, tree.full_name(i)) for i in sorted(ids) if i in tree.by_id]


@login_required
def request_new(request):
    scope = scope_for(request.user)
    form = ViewingRequestForm(
        request.POST or None, units=_holder_units(request.user), officer=scope.is_officer
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        holder = Organization.objects.get(pk=d["holder_organization"])
        viewer = None
        if number := (d.get("viewer_staff_number") or "").strip():
            viewer = Person.objects.filter(staff_number=number).first()
            if viewer is None:
                form.add_error("viewer_staff_number", _("No staff member has that number."))
        if not form.errors:
            with refusals_on(form):
                lending = viewing_request(
                    actor=request.user, holder_organization=holder, purpose=d["purpose"], viewer=viewer
                )
                messages.success(
                    request,
                    _("Your request was sent to the security officer of %(unit)s.") % {"unit": holder.name},
                )
                return redirect("viewing:detail", lending.pk)
    return render(request, "viewing/request.html", {"form": form})


def _lendable(lending: ViewingLending) -> list[tuple[int, str]]:
    today = timezone.localdate()
    tree = OrgTree(today)
    unit = tree.security_unit_of(lending.holder_organization_id)
    units = tree.descendant_ids([unit.id]) if unit else {lending.holder_organization_id}
    busy = ViewingLending.objects.filter(status=LendingStatus.LENT).values_list("account_id", flat=True)
    accounts = (
        Account.objects.filter(kind=AccountKind.VIEWING, holder_organization_id__in=units)
        .as_of(today)
        .exclude(pk__in=busy)
        .select_related("system", "holder_organization")
        .order_by("system__sort_order", "user_id")
    )
    choices = []
    for a in accounts:
        assert a.holder_organization is not None  # viewing IDs belong to a unit (account_holder_matches_kind)
        choices.append((a.pk, f"{a.system.name}：{a.user_id}（{a.holder_organization.name}）"))
    return choices


@login_required
def lending_detail(request, pk: int):
    lending = get_visible(ViewingLending, request.user, pk=pk, ip_address=client_ip(request))
    can_change = ViewingLending.objects.restrict(request.user, "change").filter(pk=lending.pk).exists()
    can_withdraw = ViewingLending.objects.restrict(request.user, "withdraw").filter(pk=lending.pk).exists()
    return render(
        request,
        "viewing/detail.html",
        {
            "lending": lending,
            "can_change": can_change,
            "can_withdraw": can_withdraw,
            "lend_form": LendForm(accounts=_lendable(lending)) if can_change else None,
            "refuse_form": RefuseForm(),
        },
    )


@never_cache
@login_required
@require_POST
@back_on_refusal("viewing:detail", "pk")
def lending_action(request, pk: int, action: str):
    lending = get_visible(ViewingLending, request.user, pk=pk, ip_address=client_ip(request))
    if action == "lend":
        form = LendForm(request.POST, accounts=_lendable(lending))
        if not form.is_valid():
            messages.error(request, _("Choose a viewing user ID that is not lent out."))
            return redirect("viewing:detail", lending.pk)
        account = Account.objects.get(pk=form.cleaned_data["account"])
        lent = viewing_lend(actor=request.user, lending=lending, account=account)
        response = render(
            request,
            "credentials/secret.html",
            {
                "title": _("Viewing ID %(uid)s lent to %(name)s")
                % {"uid": account.user_id, "name": lending.viewer_name},
                "value": lent.password,
                "lead": _(
                    "Hand the viewing user ID and this password to %(name)s in person (Art. 11(2)). It works "
                    "until the return is recorded, then Kengen replaces it (Art. 11(4)). It is not shown again."
                )
                % {"name": lending.viewer_name},
                "back": reverse("viewing:detail", args=[lending.pk]),
                "details": [
                    (_("Viewing user ID"), account.user_id),
                    (_("System"), account.system.name),
                    (_("Viewer"), f"{lending.viewer_name}（{lending.viewer_unit_name}）"),
                ],
            },
        )
        # Issue 11: never "no-referrer" — with it Chromium posts the page's forms (sign out, the next
        # action) with "Origin: null" and the CSRF check refuses them. The page's URL carries no
        # token (the value is the answer to a POST), so the site's "same-origin" policy leaks nothing.
        response["Referrer-Policy"] = "same-origin"
        return response
    if action == "return":
        viewing_return(actor=request.user, lending=lending)
        messages.success(request, _("The return was recorded and the viewing password replaced."))
    elif action == "refuse":
        viewing_refuse(actor=request.user, lending=lending, reason=request.POST.get("reason", ""))
        messages.success(request, _("The request was refused. The viewer has been notified."))
    elif action == "withdraw":
        viewing_withdraw(actor=request.user, lending=lending)
        messages.success(request, _("Withdrawn."))
    else:
        return HttpResponse(status=404)
    return redirect("viewing:detail", lending.pk)


@login_required
def viewing_ids(request):
    """Viewing IDs the user may see, with who has them now; administrators register new ones."""
    today = timezone.localdate()
    scope = scope_for(request.user)
    accounts = (
        Account.objects.restrict(request.user)
        .filter(kind=AccountKind.VIEWING)
        .as_of(today)
        .select_related("system", "holder_organization")
        .order_by("holder_organization__code", "user_id")
    )
    open_lendings = {
        le.account_id: le
        for le in ViewingLending.objects.filter(status=LendingStatus.LENT, account__in=accounts)
    }
    rows = [(a, open_lendings.get(a.pk)) for a in accounts]
    form = None
    if scope.administered_system_ids:
        tree = OrgTree(today)
        systems = System.objects.filter(pk__in=scope.administered_system_ids, parent__isnull=True).as_of(
            today
        )
        perms = SystemPermission.objects.filter(
            is_active=True, system__in=System.objects.filter(pk__in=scope.administered_system_ids)
        ).select_related("system")
        form = ViewingIdForm(
            request.POST or None,
            initial={"valid_from": today},
            systems=[(s.pk, s.name) for s in systems],
            units=[(o.id, tree.full_name(o.id)) for o, _depth in tree.walk()],
            permissions=[(p.pk, f"{p.system.name}：{p.name}") for p in perms],
        )
        if request.method == "POST" and form.is_valid():
            d = form.cleaned_data
            with refusals_on(form):
                account = viewing_id_create(
                    actor=request.user,
                    system=System.objects.get(pk=d["system"]),
                    user_id=d["user_id"],
                    holder_organization=Organization.objects.get(pk=d["holder_organization"]),
                    permissions=list(SystemPermission.objects.filter(pk__in=d["permissions"])),
                    valid_from=d["valid_from"],
                    reference=d["reference"],
                )
                messages.success(request, _("Viewing ID %(uid)s was registered.") % {"uid": account.user_id})
                if not policy_for(account.system).holds_verifier:
                    # Issue 11: say it now, not at the first lending.
                    messages.warning(
                        request,
                        _(
                            "%(system)s keeps its own passwords, so this viewing ID cannot be lent: Kengen sets a "
                            "fresh password at each lending and replaces it at return (Art. 11(4)). Let Kengen "
                            "hold the passwords of %(system)s (its password policy) before lending it."
                        )
                        % {"system": account.system.account_system.name},
                    )
                return redirect("viewing:ids")
    return render(request, "viewing/ids.html", {"rows": rows, "form": form})
