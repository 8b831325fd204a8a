from django.urls import path

from kengen.terminals import views

app_name = "terminals"
urlpatterns = [
    path("", views.enrolment_list, name="list"),
    path("<int:pk>/", views.enrolment_detail, name="detail"),
    path("<int:pk>/schedule/", views.enrolment_schedule_view, name="schedule"),
    path("<int:pk>/complete/", views.enrolment_complete_view, name="complete"),
]
