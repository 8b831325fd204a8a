from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "kengen.organizations"
    label = "organizations"
    verbose_name = "Organizations"
