from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running Kengen for real: production server, health checks, reverse proxies, deployment
    checks, structured logs, backup and restore. No models: infrastructure, not a domain concept."""

    name = "kengen.ops"
    label = "ops"
    verbose_name = "Kengen operations"

    def ready(self) -> None:
        from kengen.ops import checks  # noqa: F401  (registers the deployment checks)
