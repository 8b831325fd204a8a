from django.urls import path

from kengen.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.audit_list, name="list"),
    path("verify/", views.audit_verify_view, name="verify"),
    path("<int:seq>/", views.audit_detail, name="detail"),
]
