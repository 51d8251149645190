"""Pages of the results area: assignments, grading, results, finalize, certificates and the
public verification page (the one school page open without login)."""

from django.urls import path

from . import views_results as views

urlpatterns = [
    path("classes/<int:class_id>/assignments/", views.assignment_list, name="assignments"),
    path("classes/<int:class_id>/assignments/new/", views.assignment_create, name="assignment_create"),
    path("assignments/<int:assignment_id>/", views.assignment_detail, name="assignment"),
    path("submissions/<int:submission_id>/grade/", views.submission_grade, name="submission_grade"),
    path("submissions/<int:submission_id>/file/", views.submission_file, name="submission_file"),
    path("classes/<int:class_id>/results/", views.results_page, name="results"),
    path("classes/<int:class_id>/finalize/", views.class_finalize, name="class_finalize"),
    path("certificates/<int:certificate_id>/", views.certificate_page, name="certificate"),
    path("certificates/<int:certificate_id>/pdf/", views.certificate_pdf, name="certificate_pdf"),
    path("certificates/<int:certificate_id>/revoke/", views.certificate_revoke, name="certificate_revoke"),
    path("verify/<str:code>/", views.verify, name="verify"),
]
