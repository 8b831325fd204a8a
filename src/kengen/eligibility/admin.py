from django.contrib import admin

from kengen.core.admin import ReadOnlyAdmin
from kengen.eligibility.models import EligibilityEntry


@admin.register(EligibilityEntry)
class EligibilityEntryAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "valid_from", "valid_to")
