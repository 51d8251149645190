from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import path

from . import views, views_security
from .forms import LoginForm

app_name = "accounts"

urlpatterns = [
    path(
        "login/",
        login_not_required(
            auth_views.LoginView.as_view(
                template_name="accounts/login.html", authentication_form=LoginForm, redirect_authenticated_user=True
            )
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("profile/", views.profile, name="profile"),
    path("password/", views.password_change, name="password_change"),
    path("tokens/new/", views.token_create, name="token_create"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    # Login security: second factor, my sessions, my login history (views_security).
    path("otp/", views_security.otp_settings, name="otp_settings"),
    path("otp/verify/", views_security.otp_verify, name="otp_verify"),
    path("otp/setup/", views_security.otp_setup, name="otp_setup"),
    path("otp/remove/", views_security.otp_remove, name="otp_remove"),
    path("otp/recovery-codes/", views_security.otp_recovery_codes, name="otp_recovery_codes"),
    path("sessions/", views_security.sessions, name="sessions"),
    path("sessions/<int:session_id>/end/", views_security.session_end_view, name="session_end"),
    path("sessions/end-others/", views_security.sessions_end_others_view, name="sessions_end_others"),
    path("logins/", views_security.logins, name="logins"),
    # The security administrator: everyone's login history, second-factor reset.
    path("security/logins/", views_security.security_logins, name="security_logins"),
    path("security/otp/", views_security.security_otp, name="security_otp"),
    path("security/otp/<int:user_id>/reset/", views_security.otp_reset_view, name="otp_reset"),
    # Account management: system administrator only.
    path("users/", views.users, name="users"),
    path("users/new/", views.user_create_view, name="user_create"),
    path("users/<int:user_id>/", views.user_edit, name="user_edit"),
    path("users/<int:user_id>/reset-password/", views.user_reset_password_view, name="user_reset_password"),
    path("users/<int:user_id>/unlock/", views.user_unlock_view, name="user_unlock"),
    path("users/<int:user_id>/duty/", views.user_set_duty_view, name="user_set_duty"),
]
