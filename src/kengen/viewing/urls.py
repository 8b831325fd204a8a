from django.urls import path

from kengen.viewing import views

app_name = "viewing"
urlpatterns = [
    path("", views.lending_list, name="list"),
    path("request/", views.request_new, name="request"),
    path("ids/", views.viewing_ids, name="ids"),
    path("<int:pk>/", views.lending_detail, name="detail"),
    path("<int:pk>/<str:action>/", views.lending_action, name="action"),
]
