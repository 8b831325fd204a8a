"""Personnel pages for the personnel records officer (人事担当): a change is entered, previewed with
its consequences on its date, then confirmed (applied now, or scheduled for a future date)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kengen.core.access import get_visible
from kengen.core.era import wareki
from kengen.core.exceptions import PermissionDenied
from kengen.core.forms import client_ip
from kengen.core.models import exclusive_end, overlapping_q
from kengen.core.refusals import back_on_refusal, refusals_on
from kengen.core.views import paginate
from kengen.eligibility.models import EligibilityEntry
from kengen.eligibility.services import eligibility_entry_create, eligibility_entry_end
from kengen.organizations.models import Organization, Post
from kengen.organizations.selectors import OrgTree
from kengen.organizations.services import OrganizationSpec, organization_create, post_create, post_update
from kengen.people.choices import PersonKind
from kengen.people.models import Person
from kengen.people.selectors import personnel_policy
from kengen.people.services import PERSON_DETAIL_FIELDS, person_update, personnel_policy_update
from kengen.personnel.choices import ChangeKind, ScheduledStatus
from kengen.personnel.forms import (
    FIELD_OF_ERROR,
    EndDateForm,
    OrganizationEndForm,
    OrganizationForm,
    PermissionForm,
    PersonDetailsForm,
    PersonnelChangeForm,
    PersonnelPolicyForm,
    PostEditForm,
    PostForm,
    ReorganizeForm,
    SystemEditForm,
    SystemForm,
    Table2Form,
)
from kengen.personnel.models import ScheduledChange
from kengen.personnel.selectors import consequences_of, reorganization_consequences
from kengen.personnel.services import (
    AppliedChanges,
    organization_end,
    organization_reorganize,
    personnel_changes_submit,
    scheduled_change_cancel,
)
from kengen.roles.selectors import scope_for
from kengen.systems.models import System
from kengen.systems.services import system_create, system_permission_create, system_update

TITLES = {
    ChangeKind.HIRE: gettext_lazy("Register a new hire"),
    ChangeKind.APPOINTMENT: gettext_lazy("Record an appointment (fiscal-year renewal)"),
    ChangeKind.MOVE: gettext_lazy("Record a transfer or promotion"),
    ChangeKind.END: gettext_lazy("Record the end of an appointment or a retirement"),
}


def _require_personnel(user) -> None:
    if not scope_for(user).is_personnel:
        raise PermissionDenied(
            _("Only the personnel records officer (人事担当) records people, appointments and assignments."),
            clause="A14",
        )


@login_required
def change(request, kind: str, pk: int | None = None):
    """Enter → preview (the consequences on the date) → confirm."""
    _require_personnel(request.user)
    if kind not in ChangeKind.values or (kind == ChangeKind.HIRE) != (pk is None):
        raise PermissionDenied(_("Unknown kind of change."))
    person = get_visible(Person, request.user, pk=pk, ip_address=client_ip(request)) if pk else None
    today = timezone.localdate()
    action = request.POST.get("action", "")
    form = PersonnelChangeForm(
        request.POST if request.method == "POST" and action != "new" else None,
        kind=kind,
        person=person,
        today=today,
        initial={"valid_from": today},
    )
    context = {
        "form": form,
        "person": person,
        "kind": kind,
        "title": TITLES[ChangeKind(kind)],
        "today": today,
    }
    if request.method == "POST" and form.is_valid():
        on = form.effective_on
        changes = form.to_change()
        with refusals_on(form, fields=FIELD_OF_ERROR):
            consequences = consequences_of(changes, on=on)
            if action == "preview":
                return render(
                    request,
                    "personnel/preview.html",
                    {
                        **context,
                        "consequences": consequences,
                        "on": on,
                        "scheduled": on > today,
                        "change": changes,
                    },
                )
            if action == "confirm":
                result = personnel_changes_submit(
                    actor=request.user,
                    changes=changes,
                    on=on,
                    expected=request.POST.get("fingerprint") or None,
                )
                if isinstance(result, AppliedChanges):
                    messages.success(
                        request,
                        _("Recorded: %(change)s, from %(date)s.")
                        % {"change": changes.describe(), "date": wareki(on)},
                    )
                    return redirect("people:detail", result.people[0].pk)
                messages.success(
                    request,
                    _("Scheduled for %(date)s: %(change)s. It takes effect on that date unless cancelled.")
                    % {"change": changes.describe(), "date": wareki(on)},
                )
                return redirect("personnel:scheduled")
    return render(request, "personnel/change.html", context)


@login_required
def person_details(request, pk: int):
    """Correct or change a person's names, kana, email or staff number (audited field by field)."""
    scope = scope_for(request.user)
    person = get_visible(Person, request.user, pk=pk, ip_address=client_ip(request))
    if not (scope.is_personnel or (scope.is_configurator and person.kind == PersonKind.MAINTENANCE)):
        _require_personnel(request.user)
    form = PersonDetailsForm(
        request.POST or None,
        person=person,
        initial={name: getattr(person, name) for name in PERSON_DETAIL_FIELDS},
    )
    if request.method == "POST" and form.is_valid():
        with refusals_on(form, fields=True):
            person_update(actor=request.user, person=person, **form.cleaned_data)
            messages.success(request, _("Saved."))
            return redirect("people:detail", person.pk)
    return render(
        request,
        "personnel/details.html",
        {
            "form": form,
            "person": person,
            "title": _("Edit the details of %(name)s") % {"name": person.full_name},
        },
    )


@login_required
def scheduled_list(request):
    """予定されている変更: what will take effect, who entered it; cancellable until its date."""
    scope = scope_for(request.user)
    if not (scope.is_personnel or scope.sees_everything):
        raise PermissionDenied(_("Only the personnel records officer and auditors see scheduled changes."))
    show = request.GET.get("status", ScheduledStatus.SCHEDULED)
    rows = (
        ScheduledChange.objects.restrict(request.user, "view")
        .select_related("created_by__person", "cancelled_by__person", "person")
        .order_by("effective_on", "id")
    )
    if show in ScheduledStatus.values:
        rows = rows.filter(status=show)
    return render(
        request,
        "personnel/scheduled.html",
        {
            "show": show,
            "statuses": ScheduledStatus.choices,
            "can_cancel": scope.is_personnel,
            "today": timezone.localdate(),
            **paginate(request, rows),
        },
    )


@login_required
@require_POST
@back_on_refusal("personnel:scheduled")
def scheduled_cancel(request, pk: int):
    _require_personnel(request.user)
    row = get_visible(ScheduledChange, request.user, pk=pk, ip_address=client_ip(request))
    scheduled_change_cancel(actor=request.user, scheduled=row)
    messages.success(request, _("Cancelled: %(summary)s") % {"summary": row.summary})
    return redirect("personnel:scheduled")


# --- Configuration (A14): organizations, posts, systems and their permissions, 別表第2 -------------


def _require_configurator(user) -> None:
    if not scope_for(user).is_configurator:
        raise PermissionDenied(_("Only a configuration administrator can change this."), clause="A14")


def _form_page(request, form, *, title: str, lead: str, submit: str, back: str, extra=None):
    return render(
        request,
        "personnel/config_form.html",
        {"form": form, "title": title, "lead": lead, "submit": submit, "back": back, **(extra or {})},
    )


@login_required
def configuration(request):
    """The configuration administrator's index: units, posts, systems, 別表第2 (A14)."""
    _require_configurator(request.user)
    today = timezone.localdate()
    tree = OrgTree(today)
    return render(
        request,
        "personnel/config_index.html",
        {
            "units": tree.walk(),
            "posts": Post.objects.order_by("rank", "code"),
            "systems": System.objects.filter(overlapping_q(today, None)).select_related("owner", "parent"),
            "entries": EligibilityEntry.objects.filter(overlapping_q(today, None)).select_related(
                "organization"
            ),
            "today": today,
            "policy": personnel_policy(),
        },
    )


@login_required
def organization_new(request):
    _require_configurator(request.user)
    today = timezone.localdate()
    form = OrganizationForm(request.POST or None, today=today, initial={"valid_from": today})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        with refusals_on(form, fields=True):
            org = organization_create(
                actor=request.user,
                spec=OrganizationSpec(
                    code=d["code"].strip(),
                    name=d["name"],
                    kind=d["kind"],
                    parent=d["parent"],
                    kana=d["kana"],
                    is_security_unit=d["is_security_unit"],
                ),
                valid_from=d["valid_from"],
            )
            messages.success(
                request,
                _("%(name)s starts on %(date)s.") % {"name": org.name, "date": wareki(org.valid_from)},
            )
            return redirect("configuration:index")
    return _form_page(
        request,
        form,
        title=_("Add a unit"),
        lead=_("A new unit (部・課・係 …) from a date. Renaming or merging units is a reorganization."),
        submit=_("Add the unit"),
        back="configuration:index",
    )


@login_required
def organization_end_view(request, pk: int):
    _require_configurator(request.user)
    org = get_visible(Organization, request.user, pk=pk, ip_address=client_ip(request))
    form = OrganizationEndForm(request.POST or None)
    extra: dict = {"unit": org}
    if request.method == "POST" and form.is_valid():
        on = exclusive_end(form.cleaned_data["last_day"])
        assert on is not None
        extra["reorg"] = reorganization_consequences(on=on, ending=[org])
        if request.POST.get("action") == "confirm" and not extra["reorg"].blockers:
            with refusals_on(form, fields=True):
                organization_end(
                    actor=request.user, organization=org, on=on, reason=form.cleaned_data["reason"]
                )
                messages.success(
                    request,
                    _("%(name)s ends after %(date)s.")
                    % {"name": org.name, "date": wareki(form.cleaned_data["last_day"])},
                )
                return redirect("configuration:index")
        extra["confirmable"] = not extra["reorg"].blockers
    return _form_page(
        request,
        form,
        title=_("End %(unit)s") % {"unit": org.name},
        lead=_(
            "The preview shows what still uses the unit: people, units under it, systems it owns, Table 2 lines naming it."
        ),
        submit=_("Preview"),
        back="configuration:index",
        extra=extra,
    )


@login_required
def reorganize(request):
    _require_configurator(request.user)
    today = timezone.localdate()
    form = ReorganizeForm(request.POST or None, today=today, initial={"on": today})
    extra: dict = {}
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        creating, moves, ending = d["creating"], d["moves"], list(d["ending"])
        extra["reorg"] = reorganization_consequences(
            on=d["on"],
            ending=ending,
            creating_codes={s.code: s.is_security_unit for s in creating},
            moves=moves,
        )
        if request.POST.get("action") == "confirm" and not extra["reorg"].blockers:
            with refusals_on(form, fields=True):
                result = organization_reorganize(
                    actor=request.user, on=d["on"], ending=ending, creating=creating, moves=moves
                )
                messages.success(
                    request,
                    _(
                        "Reorganization of %(date)s recorded: %(ended)d units end, %(created)d start, %(moved)d assignments move."
                    )
                    % {
                        "date": wareki(d["on"]),
                        "ended": len(result.ended),
                        "created": len(result.created),
                        "moved": result.moved_assignments,
                    },
                )
                return redirect("configuration:index")
        extra["confirmable"] = not extra["reorg"].blockers
    return _form_page(
        request,
        form,
        title=_("Reorganize"),
        lead=_(
            "新設・廃止・統合・名称変更 on one date: the units that end, the units that start, and where the people of each ending unit move. Systems pass to the successor of their owning division."
        ),
        submit=_("Preview"),
        back="configuration:index",
        extra=extra,
    )


@login_required
def post_new(request):
    _require_configurator(request.user)
    form = PostForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with refusals_on(form, fields=True):
            post_create(actor=request.user, **form.cleaned_data)
            messages.success(request, _("Post %(name)s added.") % {"name": form.cleaned_data["name"]})
            return redirect("configuration:index")
    return _form_page(
        request, form, title=_("Add a post"), lead="", submit=_("Add the post"), back="configuration:index"
    )


@login_required
def post_edit(request, pk: int):
    _require_configurator(request.user)
    post = get_object_or_404(Post, pk=pk)  # the post catalogue is not scoped: every post is public
    form = PostEditForm(
        request.POST or None,
        initial={"name": post.name, "kana": post.kana, "rank": post.rank, "unit_kinds": post.unit_kinds},
    )
    if request.method == "POST" and form.is_valid():
        with refusals_on(form, fields=True):
            post_update(actor=request.user, post=post, **form.cleaned_data)
            messages.success(request, _("Saved."))
            return redirect("configuration:index")
    return _form_page(
        request,
        form,
        title=_("Change the post %(name)s") % {"name": post.name},
        lead=_(
            "Whether a post heads its unit cannot change: that would move roles in the past. Add a new post instead."
        ),
        submit=_("Save"),
        back="configuration:index",
    )


@login_required
def policy_edit(request):
    """The city's personnel periods (A5.3 network-registration window)."""
    _require_configurator(request.user)
    policy = personnel_policy()
    form = PersonnelPolicyForm(
        request.POST or None,
        initial={"network_registration_lead_days": policy.network_registration_lead_days},
    )
    if request.method == "POST" and form.is_valid():
        with refusals_on(form, fields=True):
            personnel_policy_update(actor=request.user, **form.cleaned_data)
            messages.success(request, _("Saved."))
            return redirect("configuration:index")
    return _form_page(
        request,
        form,
        title=_("Personnel periods"),
        lead=_("Periods the regulation leaves to the city's practice."),
        submit=_("Save"),
        back="configuration:index",
    )


@login_required
def system_new(request):
    _require_configurator(request.user)
    today = timezone.localdate()
    form = SystemForm(request.POST or None, today=today, initial={"valid_from": today})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        with refusals_on(form, fields=True):
            system = system_create(
                actor=request.user,
                code=d["code"].strip(),
                name=d["name"].strip(),
                kind=d["kind"],
                owner=d["owner"],
                parent=d["parent"],
                valid_from=d["valid_from"],
                handles_specific_personal_info=d["handles_specific_personal_info"],
                permissions=d["permissions"],
                user_id_pattern=d["user_id_pattern"].strip(),
                user_id_example=d["user_id_example"].strip(),
            )
            messages.success(request, _("%(name)s registered.") % {"name": system.name})
            return redirect("configuration:system", system.pk)
    return _form_page(
        request, form, title=_("Register a system"), lead="", submit=_("Register"), back="configuration:index"
    )


@login_required
def system_edit(request, pk: int):
    _require_configurator(request.user)
    system = get_visible(System, request.user, pk=pk, ip_address=client_ip(request))
    form = SystemEditForm(
        request.POST if request.POST.get("action") == "edit" else None,
        initial={
            "name": system.name,
            "user_id_pattern": system.user_id_pattern,
            "user_id_example": system.user_id_example,
        },
    )
    perm_form = PermissionForm(request.POST if request.POST.get("action") == "permission" else None)
    if request.method == "POST":
        if form.is_bound and form.is_valid():
            with refusals_on(form, fields=True):
                system_update(actor=request.user, system=system, **form.cleaned_data)
                messages.success(request, _("Saved."))
                return redirect("configuration:system", system.pk)
        if perm_form.is_bound and perm_form.is_valid():
            with refusals_on(perm_form, fields=True):
                system_permission_create(
                    actor=request.user,
                    system=system,
                    code=perm_form.cleaned_data["code"].strip(),
                    name=perm_form.cleaned_data["name"].strip(),
                    sort_order=system.permissions.count(),
                )
                messages.success(request, _("Permission added."))
                return redirect("configuration:system", system.pk)
    return render(
        request,
        "personnel/config_system.html",
        {"system": system, "form": form, "perm_form": perm_form, "permissions": system.permissions.all()},
    )


@login_required
def table2_new(request):
    _require_configurator(request.user)
    today = timezone.localdate()
    form = Table2Form(request.POST or None, today=today, initial={"valid_from": today})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        with refusals_on(form, fields=True):
            entry = eligibility_entry_create(
                actor=request.user,
                organization=d["organization"],
                valid_from=d["valid_from"],
                scope=d["scope"],
                units=list(d["units"]),
                source=d["source"],
            )
            messages.success(request, _("Table 2 line added: %(line)s") % {"line": entry.listed_as})
            return redirect("configuration:index")
    return _form_page(
        request,
        form,
        title=_("Add a Table 2 line"),
        lead=_("別表第2: the organizations whose staff may be granted directly (A5.5)."),
        submit=_("Add the line"),
        back="configuration:index",
    )


@login_required
def table2_end(request, pk: int):
    _require_configurator(request.user)
    entry = get_visible(EligibilityEntry, request.user, pk=pk, ip_address=client_ip(request))
    form = EndDateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        on = exclusive_end(form.cleaned_data["last_day"])
        assert on is not None
        with refusals_on(form, fields=True):
            eligibility_entry_end(actor=request.user, entry=entry, on=on)
            messages.success(request, _("Table 2 line %(line)s ends.") % {"line": entry.listed_as})
            return redirect("configuration:index")
    return _form_page(
        request,
        form,
        title=_("End the Table 2 line %(line)s") % {"line": entry.listed_as},
        lead="",
        submit=_("End the line"),
        back="configuration:index",
    )
