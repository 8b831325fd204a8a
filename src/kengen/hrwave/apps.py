from django.apps import AppConfig


class HrwaveConfig(AppConfig):
    name = "kengen.hrwave"
    label = "hrwave"
    verbose_name = "HR wave (bulk personnel changes)"
