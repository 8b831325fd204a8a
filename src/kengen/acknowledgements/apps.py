from django.apps import AppConfig


class AcknowledgementsConfig(AppConfig):
    name = "kengen.acknowledgements"
    label = "acknowledgements"
    verbose_name = "Acknowledgements of personal-information duties (A9)"
