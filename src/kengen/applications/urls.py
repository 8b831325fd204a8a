from django.urls import path

from kengen.applications import views

app_name = "applications"
urlpatterns = [
    path("", views.application_list, name="list"),
    path("new/", views.application_new, name="new"),
    path("form1-blank.pdf", views.blank_pdf, name="blank_pdf"),
    path("<int:pk>/", views.application_detail, name="detail"),
    path("<int:pk>/edit/", views.application_edit, name="edit"),
    path("<int:pk>/copy/", views.application_copy_view, name="copy"),
    path("<int:pk>/form1.pdf", views.application_pdf, name="pdf"),
    path("<int:pk>/<str:action>/", views.application_action, name="action"),
    path(
        "network-registration/<int:person_pk>/", views.network_registration_new, name="network_registration"
    ),
]
