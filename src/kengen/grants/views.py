"""The management file (管理ファイル) as of a date: filter, read, print, export."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kengen.audit.exports import audited_export
from kengen.core.access import get_visible
from kengen.core.exceptions import PermissionDenied
from kengen.core.exports import export_name
from kengen.core.forms import as_of_date, client_ip, with_date
from kengen.core.models import exclusive_end
from kengen.core.refusals import refusals_on
from kengen.core.scope import scope_of, units_in_scope
from kengen.core.templatetags.kengen import wareki
from kengen.core.views import export_format, keyset_paginate, paginate
from kengen.eligibility.selectors import direct_grant_eligibility
from kengen.grants.choices import AccountKind, GrantBasis
from kengen.grants.forms import (
    AccountEndForm,
    BreachDeletionForm,
    DirectGrantForm,
    FileFilterForm,
    MaintenanceAccountForm,
    MatrixFilterForm,
    RevokeTransferForm,
    permission_choices,
)
from kengen.grants.models import Account, Grant
from kengen.grants.selectors import (
    FILE_SORTS,
    FileFilter,
    administered_account_systems,
    direct_grant_systems,
    maintenance_accounts,
    maintenance_people,
    management_file_export,
    management_file_listing,
    management_file_table,
    open_grants,
)
from kengen.grants.services import (
    account_end,
    grant_delete_for_breach,
    grant_direct,
    grant_revoke_for_transfer,
    maintenance_account_register,
    require_file_administrator,
)
from kengen.organizations.models import Organization
from kengen.organizations.selectors import OrgTree
from kengen.outsourcing.choices import ContractStatus
from kengen.outsourcing.models import Contract
from kengen.outsourcing.selectors import EligibleStaff, covers_q, maintenance_eligible
from kengen.people.models import Person
from kengen.roles.selectors import scope_for
from kengen.systems.models import System, SystemPermission

FILE_PER_PAGE = 100
PRINT_PER_PAGE = 500  # the print view is paged too: a 1M-row file is not one web page


@login_required
def management_file_view(request):
    user = request.user
    date, _date_form = as_of_date(request)
    tree = OrgTree(
        date, Organization.objects.restrict(user, "view").as_of(date).order_by("sort_order", "code")
    )
    systems = list(
        System.objects.restrict(user, "view")
        .as_of(date)
        .order_by("sort_order", "code")
        .select_related("parent")
    )
    systems.sort(
        key=lambda s: (
            s.account_system.sort_order,
            s.account_system.code,
            s.parent_id is not None,
            s.sort_order,
            s.code,
        )
    )
    form = FileFilterForm(
        with_date(request.GET, date),
        systems=systems,
        tree=tree,
        units=units_in_scope(scope_of(user, on=date)),
        initial={"on": date},
    )
    flt = FileFilter(as_of=date)
    person = None
    if form.is_valid():
        visible_people = Person.objects.restrict(user, "view", on=date)
        if number := form.cleaned_data["staff_number"].strip():
            person = visible_people.filter(staff_number=number).first()
            if person is None:
                form.add_error("staff_number", _("No one you may see has that staff number."))
        elif pid := form.cleaned_data["person"]:
            person = visible_people.filter(pk=pid).first()
            if person is None:
                form.add_error(None, _("No one you may see matches that person."))
        if not form.errors:
            ending_by = form.cleaned_data["ending_by"]
            flt = FileFilter(
                as_of=date,
                system_id=form.cleaned_data["system"],
                organization_id=form.cleaned_data["organization"],
                person_id=person.pk if person else None,
                ends_by=ending_by + dt.timedelta(days=1) if ending_by else None,  # valid_to is exclusive
                fiscal_year_appointees=form.cleaned_data["fiscal_year"],
                sort=request.GET.get("sort", "") if request.GET.get("sort", "") in FILE_SORTS else "",
            )
    listing = management_file_listing(user=user, flt=flt) if not form.errors else None
    if export := export_format(request):
        fmt, encoding = export
        return audited_export(
            request,
            management_file_export(listing, date) if listing is not None else management_file_table([], date),
            fmt=fmt,
            encoding=encoding,
            filename=f"management-file-{date.isoformat()}",
            name=export_name(_("Management file"), date),
            label="management file",
            details={
                "as_of": date,
                "filters": {
                    "system": flt.system_id,
                    "organization": flt.organization_id,
                    "person": flt.person_id,
                },
            },
            count=(lambda: listing.count(cap=None)[0]) if listing is not None else (lambda: 0),
        )
    printing = request.GET.get("print") == "1"
    filter_labels = [s.name for s in systems if s.id == flt.system_id]
    if flt.organization_id in tree.by_id:
        filter_labels.append(tree.full_name(flt.organization_id))
    if person is not None:
        filter_labels.append(person.full_name)
    context = {
        "form": form,
        "date": date,
        "person": person,
        "printing": printing,
        "filter_labels": filter_labels,
        "title": _("Management file (as of %(date)s)") % {"date": wareki(date)},
        **keyset_paginate(request, listing, PRINT_PER_PAGE if printing else FILE_PER_PAGE),
    }
    context["rows"] = context["page"].items
    context["lines"] = _file_lines(context["rows"])
    context["sort"] = flt.sort
    return render(request, "grants/file.html", context)


def _file_lines(rows) -> list[dict]:
    """What each row of the page shows, worked out in Python: the template then only prints
    (a page of 100 rows cost 2 ms a row through template tags and ``get_FOO_display``)."""
    from kengen.core.templatetags.kengen import period
    from kengen.grants.choices import Purpose

    kinds = {k: str(v) for k, v in AccountKind.choices}
    purposes = {k: str(v) for k, v in Purpose.choices}
    bases = {k: str(v) for k, v in GrantBasis.choices}
    person_url = reverse("people:detail", args=[0])[:-2]  # ".../0/" → prefix, the id appended below
    lines = []
    for r in rows:
        g = r.grant
        a = g.account
        p = a.person
        lines.append(
            {
                "system": a.system.name,
                "business_system": g.permission.system.name if g.permission.system_id != a.system_id else "",
                "user_id": a.user_id,
                "kind": kinds.get(a.kind, a.kind) if a.kind != AccountKind.PERSONAL else "",
                "name": p.full_name if p else "",
                "staff_number": p.staff_number if p else "",
                "person_url": f"{person_url}{a.person_id}/" if p else "",
                "organization": r.organization,
                "permission": g.permission.name,
                "purpose": purposes.get(g.purpose, g.purpose),
                "purpose_note": g.purpose_note,
                "period": period(g),
                "basis": bases.get(g.basis, g.basis),
                "basis_reference": g.basis_reference,
            }
        )
    return lines


# --- Paths other than Form 1 (A5.5–A5.9) -------------------------------------------------------

# Where a service's refusal belongs on each form (service field → form field; None: the form).
_FIELD = {
    "on": "on",
    "permissions": "permissions",
    "permission": "permissions",
    "valid_from": "valid_from",
    "valid_to": "last_day",
    "user_id": "user_id",
    "purpose": "purpose",
    "purpose_approved_by": "purpose",
    "reason": "reason",
    "grants": "grants",
    "person": "person",
    "system": "system",
}


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _person_param(request) -> Person:
    pk = _int(request.GET.get("person") or request.POST.get("person"))
    return get_visible(Person, request.user, pk=pk, ip_address=client_ip(request))


def _require_direct_admin(user, on) -> list[System]:
    systems = direct_grant_systems(user, on)
    if not systems:
        raise PermissionDenied(
            _(
                "Only the administrator of COKAS-R/ADⅡ or of the intermediate server grants or revokes directly "
                "(Art. 5(5))."
            ),
            clause="A5.5",
        )
    return systems


def _pick(systems: list[System], value) -> System:
    wanted = _int(value)
    return next((s for s in systems if s.pk == wanted), systems[0])


@login_required
def direct_grant(request):
    """A5.5/A5.6: grant a 別表第2 person directly, without an application."""
    today = timezone.localdate()
    systems = _require_direct_admin(request.user, today)
    person = _person_param(request)
    system = _pick(systems, request.GET.get("system") or request.POST.get("system"))
    account = Account.objects.filter(system=system, person=person).as_of(today).first()
    form = DirectGrantForm(
        request.POST or None,
        permissions=permission_choices(system, today),
        initial={"valid_from": today, "user_id": person.staff_number or ""},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        perms = list(SystemPermission.objects.filter(pk__in=d["permissions"]).select_related("system"))
        with refusals_on(form, fields=_FIELD):
            grants = grant_direct(
                actor=request.user,
                person=person,
                permissions=perms,
                valid_from=d["valid_from"],
                valid_to=exclusive_end(d["last_day"]),
                user_id=d["user_id"].strip() or None,
                purpose=d["purpose"],
                purpose_note=d["purpose_note"],
            )
            messages.success(
                request,
                _(
                    "%(n)d permissions were granted directly to %(name)s (user ID %(uid)s). "
                    "The security officer has been notified."
                )
                % {"n": len(grants), "name": person.full_name, "uid": grants[0].account.user_id},
            )
            return redirect("people:detail", person.pk)
    held = open_grants(account, today) if account is not None else []
    return render(
        request,
        "grants/direct.html",
        {
            "person": person,
            "system": system,
            "systems": systems,
            "account": account,
            "held": held,
            "form": form,
            "today": today,
            "eligibility": direct_grant_eligibility(person, today),
        },
    )


@login_required
def revoke_transfer(request):
    """A5.5: end the direct grants of someone a transfer or retirement moved out of 別表第2."""
    today = timezone.localdate()
    systems = _require_direct_admin(request.user, today)
    person = _person_param(request)
    form = RevokeTransferForm(
        request.POST or None,
        systems=systems,
        initial={"on": today, "system": systems[0].pk},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        system = _pick(systems, d["system"])
        with refusals_on(form, fields=_FIELD):
            ended = grant_revoke_for_transfer(
                actor=request.user, person=person, on=d["on"], reason=d["reason"], system=system
            )
            messages.success(
                request,
                _(
                    "%(n)d direct grants of %(name)s on %(system)s end on %(date)s. The security officer has been "
                    "notified."
                )
                % {"n": len(ended), "name": person.full_name, "system": system.name, "date": wareki(d["on"])},
            )
            return redirect("people:detail", person.pk)
    direct = (
        Grant.objects.filter(
            account__person=person,
            account__system__in=systems,
            basis=GrantBasis.DIRECT,
            ended_at__isnull=True,
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=today))
        .select_related("account__system", "permission__system")
        .order_by("account__system__sort_order", "permission__system__sort_order", "permission__sort_order")
    )
    return render(
        request,
        "grants/revoke_transfer.html",
        {
            "person": person,
            "form": form,
            "direct": direct,
            "eligibility": direct_grant_eligibility(person, today),
        },
    )


def _account_for_admin(request, pk: int) -> Account:
    """The account if the user may see it (else 404) and administers its system (else 403)."""
    account = get_visible(Account, request.user, pk=pk, ip_address=client_ip(request))
    require_file_administrator(request.user, account.system)  # the services' own rule (A3.1)
    return account


def _after_account(account: Account):
    if account.kind == AccountKind.MAINTENANCE:
        return redirect("grants:maintenance")
    if account.person_id:
        return redirect("people:detail", account.person_id)
    return redirect("grants:file")


@login_required
def breach_deletion(request, pk: int):
    """A5.7/A5.8: delete a user ID or some of its permissions for a breach of Art. 69(1), after a
    confirmation step."""
    account = _account_for_admin(request, pk)
    today = timezone.localdate()
    held = list(open_grants(account, today))
    choices = [
        (
            g.pk,
            f"{g.permission.system.name}：{g.permission.name}"
            if g.permission.system_id != account.system_id
            else g.permission.name,
        )
        for g in held
    ]
    form = BreachDeletionForm(request.POST or None, grants=choices, initial={"on": today})
    confirming = False
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        chosen = [g for g in held if g.pk in d["grants"]] if d["what"] == BreachDeletionForm.SOME else None
        if request.POST.get("edit"):
            pass  # back from the confirmation: show the form as it was filled in
        elif request.POST.get("confirm") != "1":
            confirming = True
        else:
            with refusals_on(form, fields=_FIELD):
                ended = grant_delete_for_breach(
                    actor=request.user, account=account, reason=d["reason"], on=d["on"], grants=chosen
                )
                messages.success(
                    request,
                    _(
                        "Deleted for a breach of Art. 69(1): %(n)d permissions of user ID %(uid)s end on %(date)s. "
                        "The security officer has been notified."
                    )
                    % {"n": len(ended), "uid": account.user_id, "date": wareki(d["on"])},
                )
                return _after_account(account)
    chosen_ids = set(form.cleaned_data.get("grants") or []) if confirming else set()
    return render(
        request,
        "grants/breach.html",
        {
            "account": account,
            "held": held,
            "form": form,
            "confirming": confirming,
            "whole_id": confirming and form.cleaned_data["what"] == BreachDeletionForm.WHOLE_ID,
            "chosen": [g for g in held if g.pk in chosen_ids],
        },
    )


def _require_administrator(user, *, registering: bool = False):
    """The maintenance pages (A5.9): administrators (and, to read, auditors); to register, the
    administrator of a system that keeps user IDs today."""
    scope = scope_for(user)
    allowed = (
        administered_account_systems(user, timezone.localdate())
        if registering
        else scope.administered_system_ids or scope.sees_everything
    )
    if not allowed:
        raise PermissionDenied(
            _("Only system administrators register maintenance staff user IDs (Art. 5(9))."), clause="A5.9"
        )
    return scope


def _permission_groups(account: Account, grants) -> list[tuple[str, str, bool]]:
    """「個人住民税: 照会・管理」: the permissions by business system, and whether any of them has a
    period of its own (different from the user ID's)."""
    groups: dict[str, list[str]] = {}
    own_period: dict[str, bool] = {}
    for g in grants:
        name = g.permission.system.name if g.permission.system_id != account.system_id else ""
        groups.setdefault(name, []).append(g.permission.name)
        differs = (g.valid_from, g.valid_to) != (account.valid_from, account.valid_to)
        own_period[name] = own_period.get(name, False) or differs
    return [(name, "・".join(perms), own_period[name]) for name, perms in groups.items()]


@login_required
def maintenance_list(request):
    """A5.9: maintenance staff user IDs on the systems the user administers."""
    scope = _require_administrator(request.user)
    today = timezone.localdate()
    include_ended = request.GET.get("status") == "all"
    accounts = maintenance_accounts(request.user, on=today, include_ended=include_ended)
    context = paginate(request, accounts)
    for a in context["page_obj"]:
        a.permission_groups = _permission_groups(a, open_grants(a, today))
        a.can_end = a.system_id in scope.administered_system_ids and (
            a.valid_to is None or a.valid_to > today
        )
    return render(
        request,
        "grants/maintenance_list.html",
        {
            "systems": administered_account_systems(request.user, today),
            "include_ended": include_ended,
            "today": today,
            **context,
        },
    )


@login_required
def maintenance_new(request):
    """A5.9: register a maintenance staff member's user ID and permissions on one system."""
    _require_administrator(request.user, registering=True)
    today = timezone.localdate()
    systems = administered_account_systems(request.user, today)
    system = _pick(systems, request.GET.get("system") or request.POST.get("system"))
    # A5.9, A8.8: only the staff of an active contract covering the system can be registered, so
    # only they are offered, each with the contract and its end (the service checks it again).
    eligible = maintenance_eligible(maintenance_people(request.user), system, today)
    form = MaintenanceAccountForm(
        request.POST or None,
        people=[(e.person.pk, _eligible_label(e, today)) for e in eligible],
        permissions=permission_choices(system, today),
        initial={"valid_from": today},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        person = next(e.person for e in eligible if e.person.pk == d["person"])
        perms = list(SystemPermission.objects.filter(pk__in=d["permissions"]).select_related("system"))
        with refusals_on(form, fields=_FIELD):
            grants = maintenance_account_register(
                actor=request.user,
                person=person,
                system=system,
                user_id=d["user_id"],
                permissions=perms,
                valid_from=d["valid_from"],
                valid_to=exclusive_end(d["last_day"]),
                note=d["note"],
            )
            messages.success(
                request,
                _("User ID %(uid)s of %(name)s was registered on %(system)s with %(n)d permissions.")
                % {
                    "uid": grants[0].account.user_id,
                    "name": person.full_name,
                    "system": system.name,
                    "n": len(grants),
                },
            )
            return redirect("grants:maintenance")
    return render(
        request,
        "grants/maintenance_new.html",
        {
            "form": form,
            "system": system,
            "systems": systems,
            "has_people": bool(eligible),
            # Where staff are added to a contract: the active contracts covering the system.
            "contracts": (
                []
                if eligible
                else list(
                    Contract.objects.restrict(request.user)
                    .filter(covers_q(system.account_system), status=ContractStatus.ACTIVE)
                    .distinct()
                    .select_related("contractor")
                    .order_by("title", "pk")[:20]
                )
            ),
        },
    )


def _eligible_label(e: EligibleStaff, today: dt.date) -> str:
    """「山田 太郎（北見システム株式会社・令和8年度保守業務委託契約、令和9年3月31日まで）」."""
    who = f"{e.person.full_name}（{e.person.contractor.name}）" if e.person.contractor else e.person.full_name
    if e.valid_from > today:
        period = _("%(contract)s, from %(start)s until %(last)s") % {
            "contract": e.contract.title,
            "start": wareki(e.valid_from),
            "last": wareki(e.last_day),
        }
    else:
        period = _("%(contract)s, until %(last)s") % {
            "contract": e.contract.title,
            "last": wareki(e.last_day),
        }
    return f"{who} — {period}"


@login_required
def account_end_view(request, pk: int):
    """End a user ID and all its permissions (the deletion of a maintenance ID, A5.9)."""
    account = _account_for_admin(request, pk)
    today = timezone.localdate()
    form = AccountEndForm(request.POST or None, initial={"on": today})
    if request.method == "POST" and form.is_valid():
        with refusals_on(form, fields=_FIELD):
            account_end(
                actor=request.user,
                account=account,
                on=form.cleaned_data["on"],
                reason=form.cleaned_data["reason"],
            )
            messages.success(
                request,
                _("User ID %(uid)s and its permissions end on %(date)s.")
                % {"uid": account.user_id, "date": wareki(form.cleaned_data["on"])},
            )
            return _after_account(account)
    return render(
        request,
        "grants/account_end.html",
        {"account": account, "form": form, "held": open_grants(account, today)},
    )


MATRIX_PER_PAGE = 30  # people per screen page; printing takes up to PRINT_PER_PAGE


@login_required
def person_matrix(request):
    """The management file per person: people × systems/permissions as of a date, for checking
    (確認欄) — a security officer's section by default; printable, with page numbers."""
    from kengen.grants.selectors import matrix_people, permission_matrix

    user = request.user
    date, _date_form = as_of_date(request)
    tree = OrgTree(
        date, Organization.objects.restrict(user, "view").as_of(date).order_by("sort_order", "code")
    )
    units = units_in_scope(scope_of(user, on=date))
    form = MatrixFilterForm(with_date(request.GET, date), tree=tree, units=units, initial={"on": date})
    organization_id = form.cleaned_data["organization"] if form.is_valid() else None
    people = matrix_people(user=user, as_of=date, organization_id=organization_id)
    printing = request.GET.get("print") == "1"
    context = paginate(request, people, PRINT_PER_PAGE if printing else MATRIX_PER_PAGE)
    matrix = permission_matrix(user=user, as_of=date, people=list(context["page_obj"]))
    unit_name = tree.full_name(organization_id) if organization_id and organization_id in tree.by_id else ""
    return render(
        request,
        "grants/matrix.html",
        {
            **context,
            "form": form,
            "matrix": matrix,
            "date": date,
            "printing": printing,
            "unit_name": unit_name,
            "title": _("Permissions per person (as of %(date)s)") % {"date": wareki(date)},
        },
    )
