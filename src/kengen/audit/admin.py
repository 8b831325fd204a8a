from django.contrib import admin

from kengen.audit.models import AuditEvent
from kengen.core.admin import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The log itself (append-only in the database too); ``kengen audit verify`` checks the chain."""

    list_display = ("seq", "occurred_at", "actor_label", "action", "target_label", "application_ref")
    list_filter = ("action",)
    search_fields = ("target_label", "actor_label", "application_ref")
