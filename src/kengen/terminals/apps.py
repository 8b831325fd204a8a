from django.apps import AppConfig


class TerminalsConfig(AppConfig):
    name = "kengen.terminals"
    label = "terminals"
    verbose_name = "Terminals and biometric enrolment"
