from django.urls import path

from kengen.outsourcing import views

app_name = "outsourcing"
urlpatterns = [
    path("", views.contract_list, name="contract_list"),
    path("contracts/new/", views.contract_new, name="contract_new"),
    path("contracts/<int:pk>/", views.contract_detail, name="contract_detail"),
    path("contracts/<int:pk>/edit/", views.contract_edit, name="contract_edit"),
    path("contracts/<int:pk>/<str:action>/", views.contract_action, name="contract_action"),
    path("checklist/<int:pk>/<str:action>/", views.checklist_action, name="checklist_action"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence_download"),
    path("matrix/", views.matrix, name="matrix"),
    path("consultations/", views.consultation_list, name="consultation_list"),
    path("consultations/blank.pdf", views.consultation_blank_pdf, name="consultation_blank_pdf"),
    path("consultations/<int:pk>/", views.consultation_detail, name="consultation_detail"),
    path("consultations/<int:pk>/consultation.pdf", views.consultation_pdf, name="consultation_pdf"),
    path("consultations/<int:pk>/<str:action>/", views.consultation_action, name="consultation_action"),
    path("subcontracts/", views.subcontract_list, name="subcontract_list"),
    path("subcontracts/blank.pdf", views.subcontract_blank_pdf, name="subcontract_blank_pdf"),
    path("subcontracts/<int:pk>/", views.subcontract_detail, name="subcontract_detail"),
    path("subcontracts/<int:pk>/subcontract.pdf", views.subcontract_pdf, name="subcontract_pdf"),
    path("subcontracts/<int:pk>/<str:action>/", views.subcontract_action, name="subcontract_action"),
    path("services/", views.service_list, name="service_list"),
    path("services/new/", views.service_new, name="service_new"),
    path("services/<int:pk>/", views.service_detail, name="service_detail"),
    path("services/<int:pk>/assess/", views.service_assess, name="service_assess"),
    path("services/<int:pk>/assessment.<str:fmt>", views.service_export, name="service_export"),
    path("services/<int:pk>/<str:action>/", views.service_action, name="service_action"),
    path("contractors/", views.contractor_list, name="contractor_list"),
    path("contractors/new/", views.contractor_new, name="contractor_new"),
    path("contractors/<int:pk>/", views.contractor_detail, name="contractor_detail"),
]
