from django.apps import AppConfig


class ContractorsConfig(AppConfig):
    name = "kengen.contractors"
    label = "contractors"
    verbose_name = "Contractors"
