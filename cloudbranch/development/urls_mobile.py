"""URLs of mobile members (流动党员) and lost-contact members (失联党员)."""

from django.urls import path

from . import views_mobile as views

urlpatterns = [
    path("mobile/", views.mobile_list, name="mobile"),
    path("mobile/new/", views.mobile_create, name="mobile_create"),
    path("mobile/branches/", views.mobile_branch_options, name="mobile_branch_options"),
    path("mobile/mine/", views.my_mobile, name="my_mobile"),
    path("mobile/<int:record_id>/", views.mobile_detail, name="mobile_detail"),
    path("mobile/<int:record_id>/return/", views.mobile_return, name="mobile_return"),
    path("mobile/<int:record_id>/activities/", views.mobile_activity_add, name="mobile_activity_add"),
    path("mobile/<int:record_id>/reports/", views.mobile_report_submit, name="mobile_report_submit"),
    path("mobile/activities/<int:activity_id>/confirm/", views.mobile_activity_confirm, name="mobile_activity_confirm"),
    path("mobile/reports/<int:report_id>/review/", views.mobile_report_review, name="mobile_report_review"),
    path("lost/", views.lost_contacts, name="lost_contacts"),
    path("lost/new/", views.lost_create, name="lost_create"),
    path("lost/<int:lost_id>/", views.lost_detail, name="lost_detail"),
    path("lost/<int:lost_id>/attempts/", views.lost_attempt, name="lost_attempt"),
    path("lost/<int:lost_id>/suspend/", views.lost_suspend, name="lost_suspend"),
    path("lost/<int:lost_id>/remove/", views.lost_remove, name="lost_remove"),
    path("lost/<int:lost_id>/restore/", views.lost_restore, name="lost_restore"),
]
