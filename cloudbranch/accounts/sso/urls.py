from django.urls import path

from . import views

app_name = "sso"

urlpatterns = [
    path("login/", views.sso_login, name="login"),
    path("callback/", views.sso_callback, name="callback"),
    path("logged-out/", views.sso_logged_out, name="logged_out"),
]
