from django.urls import path

from . import views_intake, views_pipeline

urlpatterns = [
    path("pipeline/", views_pipeline.pipeline_page, name="pipeline"),
    path("pipeline.xlsx", views_pipeline.pipeline_export, name="pipeline_export"),
    path("due/", views_pipeline.due_list, name="due"),
    path("intake/", views_intake.intake_page, name="intake"),
    path("intake.xlsx", views_intake.intake_export, name="intake_export"),
    path("intake/cases/<int:case_id>/delay/", views_intake.intake_delay, name="intake_delay"),
]
