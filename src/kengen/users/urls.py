from django.urls import path

from kengen.users import views

app_name = "users"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/second-factor/", views.mfa_verify, name="mfa_verify"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("me/", views.me, name="me"),
    path("me/security/", views.security, name="security"),
    path("me/security/authenticator/", views.mfa_totp, name="mfa_totp"),
    path("me/security/passkey-added/", views.mfa_after_passkey, name="mfa_after_passkey"),
    path("me/security/recovery-codes/", views.recovery_codes_new, name="recovery_codes_new"),
    path("me/security/<str:kind>/<int:pk>/remove/", views.mfa_device_remove, name="mfa_device_remove"),
    path("me/security/sessions/end-others/", views.sessions_end_others, name="sessions_end_others"),
    path("me/password/", views.password_change, name="password_change"),
    path("manage/passwords/", views.password_reset_list, name="password_reset_list"),
    path("manage/passwords/<int:pk>/reset/", views.password_reset, name="password_reset"),
    path("me/tokens/", views.tokens, name="tokens"),
    path("me/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
]
