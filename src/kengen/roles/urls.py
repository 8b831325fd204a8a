from django.urls import path

from kengen.roles import views

app_name = "roles"
urlpatterns = [
    path("", views.role_list, name="list"),
]
