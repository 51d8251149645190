"""Pages of the attendance area: the student's phone view, check-in, the head teacher's QR
screen and attendance list, class hours."""

from django.urls import path

from . import views_attendance as views

urlpatterns = [
    path("me/", views.my, name="my"),
    path("checkin/", views.checkin, name="checkin"),
    path("sessions/<int:session_id>/", views.session_detail, name="session"),
    path("sessions/<int:session_id>/checkin/", views.checkin_screen, name="checkin_screen"),
    path("sessions/<int:session_id>/checkin/qr/", views.checkin_qr, name="checkin_qr"),
    path("sessions/<int:session_id>/attendance/", views.attendance_list, name="attendance"),
    path("enrolments/<int:enrolment_id>/hours/", views.hours_list, name="hours"),
    path("enrolments/<int:enrolment_id>/hours/credit/", views.hours_credit, name="hours_credit"),
]
