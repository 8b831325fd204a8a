from django.contrib import admin

from kengen.core.admin import ReadOnlyAdmin
from kengen.people.models import Appointment, Assignment, Person


@admin.register(Person)
class PersonAdmin(ReadOnlyAdmin):
    list_display = ("staff_number", "family_name", "given_name", "kind", "contractor")
    list_filter = ("kind",)
    search_fields = ("staff_number", "family_name", "given_name", "family_name_kana", "given_name_kana")


@admin.register(Appointment)
class AppointmentAdmin(ReadOnlyAdmin):
    list_display = ("person", "employment_type", "valid_from", "valid_to")
    list_filter = ("employment_type",)
    search_fields = ("person__staff_number", "person__family_name")


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ("person", "organization", "post", "is_primary", "valid_from", "valid_to")
    search_fields = ("person__staff_number", "person__family_name", "organization__name")
