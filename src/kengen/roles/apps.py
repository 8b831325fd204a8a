from django.apps import AppConfig


class RolesConfig(AppConfig):
    name = "kengen.roles"
    label = "roles"
    verbose_name = "Roles"

    def ready(self) -> None:
        # core's ``restrict`` and ``require_configurator`` ask core.scope for a user's scope; the
        # roles app is the one that knows how to derive it from posts (core imports no app).
        from kengen.core.scope import register_scope_resolver
        from kengen.roles.selectors import scope_for

        register_scope_resolver(scope_for)
