from django.urls import path

from kengen.personnel import views

app_name = "personnel"
urlpatterns = [
    path("hire/", views.change, {"kind": "hire"}, name="hire"),
    path("people/<int:pk>/details/", views.person_details, name="details"),
    path("people/<int:pk>/<str:kind>/", views.change, name="change"),
    path("scheduled/", views.scheduled_list, name="scheduled"),
    path("scheduled/<int:pk>/cancel/", views.scheduled_cancel, name="scheduled_cancel"),
]
