from django.urls import path

from kengen.reviews import views

app_name = "reviews"
urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_new, name="new"),
    path("<int:pk>/", views.campaign_detail, name="detail"),
    path("<int:pk>/decide/", views.item_decide_view, name="decide"),
    path("<int:pk>/keep/", views.keep_bulk_view, name="keep"),
    path("<int:pk>/finalize/", views.finalize_view, name="finalize"),
    path("<int:pk>/rerun/", views.rerun_view, name="rerun"),
    path("<int:pk>/evidence/", views.evidence_upload_view, name="evidence"),
    path("<int:pk>/evidence/<int:evidence_id>/", views.evidence_download, name="evidence-file"),
    path("<int:pk>/check-sheet.pdf", views.check_sheet_pdf, name="check-sheet"),
    path("<int:pk>/evidence.pdf", views.evidence_pdf, name="evidence-pdf"),
    path("<int:pk>/evidence.xlsx", views.evidence_xlsx, name="evidence-xlsx"),
    path("schedules/", views.schedule_list, name="schedules"),
    path("reconciliations/", views.reconciliation_list, name="reconciliations"),
    path("reconciliations/<int:pk>/", views.reconciliation_detail, name="reconciliation"),
    path("findings/<int:pk>/", views.finding_update_view, name="finding"),
]
