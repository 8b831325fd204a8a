from django.contrib import admin

from kengen.core.admin import ReadOnlyAdmin
from kengen.roles.models import DesignatedRole


@admin.register(DesignatedRole)
class DesignatedRoleAdmin(ReadOnlyAdmin):
    list_display = ("user", "role", "valid_from", "valid_to")
    list_filter = ("role",)
