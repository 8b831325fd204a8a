"""The management file (管理ファイル) as of a date: filter, read, print, export."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _

from kengen.core.forms import as_of_date, with_date
from kengen.core.templatetags.kengen import wareki
from kengen.core.views import audited_export, export_format, paginate
from kengen.grants.forms import FileFilterForm
from kengen.grants.selectors import FileFilter, management_file, management_file_table
from kengen.organizations.models import Organization
from kengen.organizations.selectors import OrgTree
from kengen.people.models import Person
from kengen.systems.models import System

FILE_PER_PAGE = 100


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
        with_date(request.GET, date), systems=systems, tree=tree, initial={"on": date}
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
            flt = FileFilter(
                as_of=date,
                system_id=form.cleaned_data["system"],
                organization_id=form.cleaned_data["organization"],
                person_id=person.pk if person else None,
            )
    rows = management_file(user=user, flt=flt) if not form.errors else []
    if export := export_format(request):
        fmt, encoding = export
        table = management_file_table(rows, date)
        return audited_export(
            request,
            table,
            fmt=fmt,
            encoding=encoding,
            filename=f"management-file-{date.isoformat()}",
            label="management file",
            details={
                "as_of": date,
                "filters": {
                    "system": flt.system_id,
                    "organization": flt.organization_id,
                    "person": flt.person_id,
                },
            },
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
        "rows": rows,
        "printing": printing,
        "filter_labels": filter_labels,
        "title": _("Management file (as of %(date)s)") % {"date": wareki(date)},
    }
    if not printing:
        context.update(paginate(request, rows, FILE_PER_PAGE))
    return render(request, "grants/file.html", context)
