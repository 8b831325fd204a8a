from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "kengen.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from kengen.audit import guard, signals  # noqa: F401  (login success/failure events)

        connection_created.connect(guard.register, dispatch_uid="kengen-audit-guard")
