"""Pages of the posts area (namespace ``volunteering``, prefix /service/)."""

from django.urls import path

from . import views_posts as views

urlpatterns = [
    path("", views.post_list, name="posts"),
    path("me/", views.my_service, name="my_service"),
    path("posts/new/", views.post_create, name="post_create"),
    path("posts/<int:post_id>/", views.post_detail, name="post"),
    path("posts/<int:post_id>/edit/", views.post_edit, name="post_edit"),
    path("posts/<int:post_id>/publish/", views.post_publish, name="post_publish"),
    path("posts/<int:post_id>/close/", views.post_close, name="post_close"),
    path("posts/<int:post_id>/shifts/new/", views.shift_add, name="shift_add"),
    path("shifts/<int:shift_id>/", views.shift_roster, name="shift_roster"),
    path("shifts/<int:shift_id>/edit/", views.shift_edit, name="shift_edit"),
    path("shifts/<int:shift_id>/cancel/", views.shift_cancel, name="shift_cancel"),
    path("shifts/<int:shift_id>/signup/", views.signup_create, name="signup"),
    path("shifts/<int:shift_id>/confirm/", views.hours_confirm_bulk, name="hours_confirm_bulk"),
    path("shifts/<int:shift_id>/checkin/", views.checkin_screen, name="checkin_screen"),
    path("shifts/<int:shift_id>/checkin/qr/", views.checkin_qr, name="checkin_qr"),
    path("checkin/", views.checkin_page, name="checkin"),
    path("signups/<int:signup_id>/cancel/", views.signup_cancel, name="signup_cancel"),
    path("signups/<int:signup_id>/confirm/", views.hours_confirm, name="hours_confirm"),
    path("signups/<int:signup_id>/absent/", views.signup_absent, name="signup_absent"),
    path("signups/<int:signup_id>/manual/", views.signup_manual, name="signup_manual"),
    path("signups/<int:signup_id>/rate-volunteer/", views.signup_rate_volunteer, name="signup_rate_volunteer"),
    path("signups/<int:signup_id>/rate/", views.signup_rate, name="signup_rate"),
]
