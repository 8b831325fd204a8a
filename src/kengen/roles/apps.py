from django.apps import AppConfig


class RolesConfig(AppConfig):
    name = "kengen.roles"
    label = "roles"
    verbose_name = "Roles"
