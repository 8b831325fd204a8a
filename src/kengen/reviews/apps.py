from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "kengen.reviews"
    label = "reviews"
    verbose_name = "Validity checks of the management file"
