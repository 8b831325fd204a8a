from django.contrib import admin

from kengen.core.admin import ReadOnlyAdmin
from kengen.terminals.models import BiometricEnrolment


@admin.register(BiometricEnrolment)
class BiometricEnrolmentAdmin(ReadOnlyAdmin):
    list_display = ("__str__",)
