from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "kengen.dashboard"
    label = "dashboard"
    verbose_name = "Home page"
