from django.contrib import admin

from kengen.core.admin import ReadOnlyAdmin
from kengen.systems.models import System, SystemPermission


@admin.register(System)
class SystemAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "kind", "parent", "owner", "valid_from", "valid_to")
    list_filter = ("kind",)
    search_fields = ("code", "name")


@admin.register(SystemPermission)
class SystemPermissionAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "system")
    search_fields = ("system__code", "system__name")
