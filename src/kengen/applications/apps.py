from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "kengen.applications"
    label = "applications"
    verbose_name = "Applications (Form 1)"
