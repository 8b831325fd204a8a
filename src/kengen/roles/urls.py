from django.urls import path

from kengen.roles import views

app_name = "roles"
urlpatterns = [
    path("", views.role_list, name="list"),
    path("designations/new/", views.designation_new, name="designation_new"),
    path("designations/<int:pk>/end/", views.designation_end, name="designation_end"),
]
