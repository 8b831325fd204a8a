from django.urls import path

from kengen.eligibility import views

app_name = "eligibility"
urlpatterns = [
    path("", views.table, name="table"),
]
