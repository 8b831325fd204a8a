from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "kengen.core"
    label = "core"
    verbose_name = "Kengen core"
