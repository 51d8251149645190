from django.urls import path

from . import views

app_name = "onboarding"

urlpatterns = [
    path("", views.start, name="start"),
    path("code/", views.code, name="code"),
    path("password/", views.password, name="password"),
    path("reset/", views.reset, name="reset"),
    path("reset/confirm/", views.reset_confirm, name="reset_confirm"),
    path("invitations/", views.invitations, name="invitations"),
    path("invitations/send/", views.invitation_send, name="invitation_send"),
    path("invitations/<int:batch_id>/", views.batch_detail, name="batch_detail"),
    path("invitations/<int:batch_id>/rerun/", views.batch_rerun, name="batch_rerun"),
]
