from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    name = "kengen.workflow"
    label = "workflow"
    verbose_name = "Application workflow"
