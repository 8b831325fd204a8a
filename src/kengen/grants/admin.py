from django.contrib import admin

from kengen.core.admin import ReadOnlyAdmin
from kengen.grants.models import Account, Grant


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ("user_id", "system", "kind", "person", "valid_from", "valid_to", "end_reason")
    list_filter = ("kind", "end_reason")
    search_fields = ("user_id", "person__staff_number", "person__family_name", "system__code")


@admin.register(Grant)
class GrantAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "account", "valid_from", "valid_to")
    search_fields = ("account__user_id", "account__person__staff_number")
