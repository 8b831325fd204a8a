from __future__ import annotations

from django.db import transaction

from kengen.audit.choices import AuditAction
from kengen.audit.services import audit_record
from kengen.contractors.models import Contractor
from kengen.core.permissions import require_configurator
from kengen.core.types import Actor


@transaction.atomic
def contractor_create(*, actor: Actor, name: str, kana: str = "", corporate_number: str = "") -> Contractor:
    require_configurator(actor)
    contractor = Contractor.objects.create(name=name, kana=kana, corporate_number=corporate_number)
    audit_record(
        actor=actor,
        action=AuditAction.CONTRACTOR_CREATED,
        target=contractor,
        new={"name": name, "corporate_number": corporate_number},
    )
    return contractor
