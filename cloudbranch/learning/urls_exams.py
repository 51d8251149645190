"""URLs of the exams area (question bank, papers, attempts); namespace ``learning``."""

from django.urls import path

from . import views_exams as v

urlpatterns = [
    path("questions/", v.question_list, name="questions"),
    path("questions/new/", v.question_create, name="question_create"),
    path("questions/<int:question_id>/edit/", v.question_edit, name="question_edit"),
    path("questions/<int:question_id>/status/", v.question_status, name="question_status"),
    path("questions/import/", v.question_import_view, name="question_import"),
    path("questions/imports/<int:job_id>/", v.question_import_job, name="question_import_job"),
    path("questions/imports/<int:job_id>/confirm/", v.question_import_confirm, name="question_import_confirm"),
    path("questions/imports/<int:job_id>/discard/", v.question_import_discard, name="question_import_discard"),
    path("questions/imports/<int:job_id>/undo/", v.question_import_undo, name="question_import_undo"),
    path("questions/template.xlsx", v.question_template, name="question_template"),
    path("questions/export.xlsx", v.question_export, name="question_export"),
    path("exams/", v.paper_list, name="papers"),
    path("exams/new/", v.paper_create, name="paper_create"),
    path("exams/mine/", v.my_exams, name="my_exams"),
    path("exams/<int:paper_id>/", v.paper_detail, name="paper"),
    path("exams/<int:paper_id>/edit/", v.paper_edit, name="paper_edit"),
    path("exams/<int:paper_id>/questions/", v.paper_questions, name="paper_questions"),
    path("exams/<int:paper_id>/publish/", v.paper_publish, name="paper_publish"),
    path("exams/<int:paper_id>/close/", v.paper_close, name="paper_close"),
    path("exams/<int:paper_id>/withdraw/", v.paper_withdraw, name="paper_withdraw"),
    path("exams/<int:paper_id>/start/", v.exam_start, name="exam_start"),
    path("attempts/<int:attempt_id>/", v.attempt_page, name="attempt"),
    path("attempts/<int:attempt_id>/save/", v.attempt_save, name="attempt_save"),
    path("attempts/<int:attempt_id>/submit/", v.attempt_submit, name="attempt_submit"),
    path("attempts/<int:attempt_id>/result/", v.attempt_result, name="attempt_result"),
]
