from django.apps import AppConfig


class CredentialsConfig(AppConfig):
    name = "kengen.credentials"
    label = "credentials"
    verbose_name = "Passwords and temporary passwords (A8)"
