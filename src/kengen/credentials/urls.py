from django.urls import path

from kengen.credentials import views

app_name = "credentials"
urlpatterns = [
    path("me/passwords/", views.my_passwords, name="mine"),
    path("me/passwords/<int:pk>/", views.my_password_change, name="change"),
    path("credentials/", views.credential_list, name="list"),
    path("credentials/accounts/<int:pk>/", views.account_detail, name="account"),
    path("credentials/accounts/<int:pk>/<str:action>/", views.account_action, name="account_action"),
    # The token is never in the path (issue 10): it comes in the POST body (see views.reveal).
    path("credentials/reveal/", views.reveal, name="reveal"),
    path("credentials/systems/<int:pk>/policy/", views.policy_edit, name="policy"),
    path("credentials/systems/<int:pk>/keys/", views.api_keys, name="keys"),
    path("credentials/keys/<int:pk>/revoke/", views.api_key_revoke, name="key_revoke"),
    path("credentials/form2/", views.form2_list, name="form2_list"),
    path("credentials/form2/new/", views.form2_new, name="form2_new"),
    path("credentials/form2/blank.pdf", views.form2_blank_pdf, name="form2_blank_pdf"),
    path("credentials/form2/<int:pk>/", views.form2_detail, name="form2_detail"),
    path("credentials/form2/<int:pk>/form2.pdf", views.form2_pdf, name="form2_pdf"),
    path("credentials/form2/<int:pk>/<str:action>/", views.form2_action, name="form2_action"),
]
