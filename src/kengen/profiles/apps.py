from django.apps import AppConfig


class ProfilesConfig(AppConfig):
    name = "kengen.profiles"
    label = "profiles"
    verbose_name = "Municipality profiles and demo data"
