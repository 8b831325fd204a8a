"""What the signed-in user may do to one person's entries, for the person page:
``{% person_actions person as actions %}``.

Kept out of the person view so the people app does not depend on the grants and applications
apps' rules, and kept here, in the higher of the two apps it reads (applications sits above grants),
so that no template tag reaches up a layer. Every action is checked again by its view and service.
"""

from __future__ import annotations

from django import template
from django.db.models import Q
from django.utils import timezone

from kengen.applications.services import requires_network_registration
from kengen.grants.models import Account
from kengen.grants.selectors import direct_grant_systems
from kengen.people.choices import PersonKind
from kengen.people.models import Person
from kengen.roles.selectors import scope_for

register = template.Library()


@register.simple_tag(takes_context=True)
def person_actions(context, person) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    today = timezone.localdate()
    scope = scope_for(user)
    is_staff = person.kind == PersonKind.STAFF
    direct = bool(direct_grant_systems(user, today)) if is_staff else False
    breach_ids = set(
        Account.objects.filter(person=person, system_id__in=scope.administered_system_ids)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=today))
        .values_list("pk", flat=True)
    )
    needs_network = is_staff and requires_network_registration(person, today)
    return {
        "can_grant_directly": direct,
        "can_revoke_directly": direct,
        "breach_account_ids": breach_ids,
        "network_needed": needs_network,
        "network_registrations": list(person.network_registrations.order_by("-filed_on"))
        if needs_network
        else [],
        "can_record_network": needs_network
        and Person.objects.restrict(user, "change").filter(pk=person.pk).exists(),
        "any": direct or bool(breach_ids),
    }
