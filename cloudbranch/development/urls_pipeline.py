from django.urls import path

from . import views_pipeline

urlpatterns = [
    path("pipeline/", views_pipeline.pipeline_page, name="pipeline"),
    path("pipeline.xlsx", views_pipeline.pipeline_export, name="pipeline_export"),
    path("due/", views_pipeline.due_list, name="due"),
]
