"""Attendance URLs (namespace ``meetings``): panel, QR screen, phone check-in, leave, my meetings."""

from django.urls import path

from . import views_attendance as views

urlpatterns = [
    path("mine/", views.my_meetings, name="my_meetings"),
    path("checkin/", views.checkin_page, name="checkin"),
    path("<int:meeting_id>/attendance/", views.attendance_panel, name="attendance_panel"),
    path("<int:meeting_id>/checkin/screen/", views.checkin_screen, name="checkin_screen"),
    path("<int:meeting_id>/checkin/qr/", views.checkin_qr, name="checkin_qr"),
    path("<int:meeting_id>/leave/", views.leave_request, name="leave_request"),
    path("invitees/<int:invitee_id>/leave-decision/", views.leave_decide, name="leave_decide"),
    path("invitees/<int:invitee_id>/attendance/", views.mark_attendance, name="mark_attendance"),
]
