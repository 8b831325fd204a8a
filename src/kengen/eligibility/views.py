"""別表第2 as of a date, and a check of one person's eligibility for a direct grant (A5.5)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from kengen.core.access import get_visible
from kengen.core.exceptions import NotFound
from kengen.core.forms import as_of_date, client_ip
from kengen.eligibility.forms import EligibilityCheckForm
from kengen.eligibility.models import EligibilityEntry
from kengen.eligibility.selectors import direct_grant_eligibility
from kengen.organizations.selectors import OrgTree
from kengen.people.models import Person


@login_required
def table(request):
    date, date_form = as_of_date(request)
    tree = OrgTree(date)
    entries = (
        EligibilityEntry.objects.restrict(request.user, "view")
        .as_of(date)
        .select_related("organization")
        .prefetch_related("units")
    )
    rows = [
        {
            "entry": e,
            "organization": tree.full_name(e.organization_id)
            if e.organization_id in tree.by_id
            else e.organization.name,
            "units": sorted(e.units.all(), key=lambda u: (u.sort_order, u.code)),
        }
        for e in entries
    ]
    check_form = EligibilityCheckForm(request.GET if "staff_number" in request.GET else None)
    result = checked_person = result_date = None
    if check_form.is_bound and check_form.is_valid():
        on = check_form.cleaned_data["date"] or timezone.localdate()
        try:
            checked_person = get_visible(
                Person,
                request.user,
                on=on,
                staff_number=check_form.cleaned_data["staff_number"].strip(),
                ip_address=client_ip(request),
            )
        except NotFound:
            check_form.add_error("staff_number", _("No one you may see has that staff number."))
        else:
            result = direct_grant_eligibility(checked_person, on)
            result_date = on
    return render(
        request,
        "eligibility/table.html",
        {
            "date": date,
            "date_form": date_form,
            "rows": rows,
            "form": check_form,
            "result": result,
            "checked_person": checked_person,
            "result_date": result_date,
        },
    )
