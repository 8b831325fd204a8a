from django.urls import path

from kengen.systems import views

app_name = "systems"
urlpatterns = [
    path("", views.system_list, name="list"),
    path("<int:pk>/", views.system_detail, name="detail"),
]
