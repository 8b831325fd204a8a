from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "kengen.people"
    label = "people"
    verbose_name = "People"
