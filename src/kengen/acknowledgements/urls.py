from django.urls import path

from kengen.acknowledgements import views

app_name = "acknowledgements"
urlpatterns = [
    path("", views.acknowledge, name="acknowledge"),
    path("status/", views.status_list, name="list"),
]
