from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "kengen.users"
    label = "users"
    verbose_name = "Kengen users"

    def ready(self) -> None:
        from kengen.users import receivers

        receivers.connect()
