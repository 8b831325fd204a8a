from django.contrib import admin

from kengen.core.admin import ReadOnlyAdmin
from kengen.organizations.models import Organization, Post


@admin.register(Organization)
class OrganizationAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "kind", "parent", "is_security_unit", "valid_from", "valid_to")
    list_filter = ("kind", "is_security_unit")
    search_fields = ("code", "name", "kana")


@admin.register(Post)
class PostAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "is_head", "rank")
    search_fields = ("code", "name")
