"""Pages of the classes area."""

from django.urls import path

from . import views_classes as views

urlpatterns = [
    path("", views.class_list, name="classes"),
    path("classes/new/", views.class_create, name="class_create"),
    path("classes/<int:class_id>/", views.class_detail, name="class"),
    path("classes/<int:class_id>/edit/", views.class_edit, name="class_edit"),
    path("classes/<int:class_id>/advance/", views.class_advance, name="class_advance"),
    path("classes/<int:class_id>/sessions/new/", views.session_create, name="session_create"),
    path("sessions/<int:session_id>/edit/", views.session_edit, name="session_edit"),
    path("sessions/<int:session_id>/delete/", views.session_delete, name="session_delete"),
    path("sessions/<int:session_id>/items/", views.course_items, name="course_items"),
    path("classes/<int:class_id>/students/", views.roster, name="roster"),
    path("classes/<int:class_id>/enrol/rule/", views.enrol_rule, name="enrol_rule"),
    path("classes/<int:class_id>/enrol/list/", views.enrol_list, name="enrol_list"),
    path("classes/<int:class_id>/enrol/add/", views.enrol_add, name="enrol_add"),
    path("enrol/template.xlsx", views.enrol_template, name="enrol_template"),
    path("enrolments/<int:enrolment_id>/withdraw/", views.withdraw_request, name="withdraw_request"),
    path("enrolments/<int:enrolment_id>/withdraw/decide/", views.withdraw_decide, name="withdraw_decide"),
]
