from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "kengen.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from kengen.audit import signals  # noqa: F401  (login success/failure events)
