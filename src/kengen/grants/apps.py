from django.apps import AppConfig


class GrantsConfig(AppConfig):
    name = "kengen.grants"
    label = "grants"
    verbose_name = "Management file"
