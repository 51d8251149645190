from django.urls import path

from . import import_views

app_name = "people_import"

urlpatterns = [
    path("", import_views.start, name="start"),
    path("template.xlsx", import_views.template, name="template"),
    path("<int:job_id>/", import_views.job, name="job"),
    path("<int:job_id>/progress/", import_views.job_progress, name="job_progress"),
    path("<int:job_id>/confirm/", import_views.confirm, name="confirm"),
    path("<int:job_id>/discard/", import_views.discard, name="discard"),
    path("<int:job_id>/undo/", import_views.undo, name="undo"),
]
