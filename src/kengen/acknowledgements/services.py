"""Recording acknowledgements of the personal-information duties (A9.2)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from kengen.acknowledgements import texts
from kengen.acknowledgements.models import Acknowledgement
from kengen.audit.choices import AuditAction
from kengen.audit.services import audit_record
from kengen.core.exceptions import Conflict, RuleViolation
from kengen.core.versions import data_versions_forget
from kengen.users.models import User


@transaction.atomic
def acknowledgement_record(
    *, user: User, text_version: str, ip_address: str | None = None
) -> Acknowledgement:
    """Record that ``user`` (for the person they are linked to) acknowledged the duties of A9 in
    the text ``text_version`` — which must be the current one, i.e. the one they were shown."""
    person_id = getattr(user, "person_id", None)
    if not person_id:
        raise RuleViolation(
            _("Only a sign-in linked to a person acknowledges the personal-information duties."),
            clause="A9.2",
        )
    if text_version != texts.CURRENT_VERSION:
        raise Conflict(
            _("The text of the duties has changed since it was shown. Read it again."),
            field="text_version",
        )
    ack = Acknowledgement.objects.create(
        person_id=person_id, user=user, text_version=text_version, ip_address=ip_address or None
    )
    audit_record(
        actor=user,
        action=AuditAction.ACKNOWLEDGEMENT_RECORDED,
        target=ack,
        new={"person": user.person_id, "text_version": text_version},
        ip_address=ip_address,
    )
    data_versions_forget(user)  # this request's cached answer to "due?" is no longer right
    return ack
