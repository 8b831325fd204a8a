from django.urls import path

from kengen.personnel import views

app_name = "configuration"
urlpatterns = [
    path("", views.configuration, name="index"),
    path("organizations/new/", views.organization_new, name="organization_new"),
    path("organizations/<int:pk>/end/", views.organization_end_view, name="organization_end"),
    path("reorganize/", views.reorganize, name="reorganize"),
    path("posts/new/", views.post_new, name="post_new"),
    path("periods/", views.policy_edit, name="policy"),
    path("posts/<int:pk>/", views.post_edit, name="post_edit"),
    path("systems/new/", views.system_new, name="system_new"),
    path("systems/<int:pk>/", views.system_edit, name="system"),
    path("table-2/new/", views.table2_new, name="table2_new"),
    path("table-2/<int:pk>/end/", views.table2_end, name="table2_end"),
]
