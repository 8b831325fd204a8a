from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "kengen.notifications"
    label = "notifications"
    verbose_name = "Notifications"
