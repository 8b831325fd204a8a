from django.apps import AppConfig


class EligibilityConfig(AppConfig):
    name = "kengen.eligibility"
    label = "eligibility"
    verbose_name = "Direct-grant eligibility (別表第2)"
