"""URLs of thought reports (思想汇报)."""

from django.urls import path

from . import views_thought as views

urlpatterns = [
    path("reports/", views.thought_reports, name="thought_reports"),
    path("reports/mine/", views.my_reports, name="my_reports"),
    path("reports/policy/", views.report_policy, name="report_policy"),
    path("reports/<int:report_id>/", views.thought_report_detail, name="thought_report_detail"),
    path("reports/<int:report_id>/comments/", views.thought_report_comment, name="thought_report_comment"),
]
