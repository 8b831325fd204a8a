from django.contrib import admin

from kengen.applications.models import Application, NetworkUserRegistration
from kengen.core.admin import ReadOnlyAdmin


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "status")
    list_filter = ("status",)


@admin.register(NetworkUserRegistration)
class NetworkUserRegistrationAdmin(ReadOnlyAdmin):
    list_display = ("__str__",)
