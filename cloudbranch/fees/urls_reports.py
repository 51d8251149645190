from django.urls import path

from . import views_reports

urlpatterns: list = [
    path("report/", views_reports.report, name="report"),
    path("report.xlsx", views_reports.report_export, name="report_export"),
    path("arrears/", views_reports.arrears_list, name="arrears"),
    path("arrears/<int:case_id>/decide/", views_reports.arrears_decide, name="arrears_decide"),
    path("reconcile/", views_reports.reconcile_page, name="reconcile"),
]
