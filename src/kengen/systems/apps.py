from django.apps import AppConfig


class SystemsConfig(AppConfig):
    name = "kengen.systems"
    label = "systems"
    verbose_name = "Systems"
