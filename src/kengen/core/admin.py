"""The Django admin is a read-only window for operators.

Every change goes through the services (one transaction, the rule, the audit event); the admin
writes nothing around them. ``ReadOnlyAdmin`` refuses add, change and delete (so no bulk delete
action either) and opens only to active superusers, who may see everything anyway.
"""

from __future__ import annotations

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """A model admin that lists, searches and shows rows, and never writes."""

    list_per_page = 50
    show_full_result_count = False  # lists page in the database; no extra COUNT over big tables

    def has_view_permission(self, request, obj=None) -> bool:
        user = request.user
        return bool(user.is_active and user.is_superuser)

    def has_module_permission(self, request) -> bool:
        return self.has_view_permission(request)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
