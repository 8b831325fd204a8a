from django.apps import AppConfig


class OutsourcingConfig(AppConfig):
    name = "kengen.outsourcing"
    label = "outsourcing"
    verbose_name = "Outsourcing and external services"

    def ready(self) -> None:
        # A5.9/A12: a maintenance staff member on a contract is registered only within it. grants
        # sits below this app, so it asks the hook registered here (never imports upwards).
        from kengen.grants.services import maintenance_limit_register
        from kengen.outsourcing.selectors import maintenance_limit

        maintenance_limit_register(maintenance_limit)
