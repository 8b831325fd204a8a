from django.apps import AppConfig


class PersonnelConfig(AppConfig):
    name = "kengen.personnel"
    label = "personnel"
    verbose_name = "Personnel changes"
