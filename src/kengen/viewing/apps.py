from django.apps import AppConfig


class ViewingConfig(AppConfig):
    name = "kengen.viewing"
    label = "viewing"
    verbose_name = "Viewing IDs lent to viewers (A11)"
