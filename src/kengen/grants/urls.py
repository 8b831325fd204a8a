from django.urls import path

from kengen.grants import views

app_name = "grants"
urlpatterns = [
    path("", views.management_file_view, name="file"),
    path("per-person/", views.person_matrix, name="matrix"),
    path("direct/", views.direct_grant, name="direct"),
    path("revoke-transfer/", views.revoke_transfer, name="revoke_transfer"),
    path("accounts/<int:pk>/breach/", views.breach_deletion, name="breach"),
    path("accounts/<int:pk>/end/", views.account_end_view, name="account_end"),
    path("maintenance/", views.maintenance_list, name="maintenance"),
    path("maintenance/new/", views.maintenance_new, name="maintenance_new"),
]
