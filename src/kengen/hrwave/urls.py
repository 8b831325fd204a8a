from django.urls import path

from kengen.hrwave import views

app_name = "hrwave"
urlpatterns = [
    path("", views.wave_list, name="list"),
    path("<int:pk>/", views.wave_detail, name="detail"),
    path("<int:pk>/apply/", views.wave_apply_view, name="apply"),
    path("<int:pk>/schedule/", views.wave_schedule_view, name="schedule"),
    path("<int:pk>/cancel/", views.wave_cancel_view, name="cancel"),
    path("<int:pk>/refresh/", views.wave_refresh_view, name="refresh"),
    path("<int:pk>/progress/", views.wave_progress, name="progress"),
    path("<int:pk>/preview.xlsx", views.wave_preview_xlsx, name="xlsx"),
    path("mappings/", views.mapping_list, name="mappings"),
    path("mappings/new/", views.mapping_edit, name="mapping_new"),
    path("mappings/<int:pk>/", views.mapping_edit, name="mapping_edit"),
]
