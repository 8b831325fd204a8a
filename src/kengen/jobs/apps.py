from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "kengen.jobs"
    label = "jobs"
    verbose_name = "Scheduled jobs"
