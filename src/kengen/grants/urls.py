from django.urls import path

from kengen.grants import views

app_name = "grants"
urlpatterns = [
    path("", views.management_file_view, name="file"),
]
