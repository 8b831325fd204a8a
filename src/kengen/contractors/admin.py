from django.contrib import admin

from kengen.contractors.models import Contractor
from kengen.core.admin import ReadOnlyAdmin


@admin.register(Contractor)
class ContractorAdmin(ReadOnlyAdmin):
    list_display = ("__str__",)
