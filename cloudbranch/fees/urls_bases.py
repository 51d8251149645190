from django.urls import path

from . import views_bases

urlpatterns = [
    path("bases/", views_bases.base_list, name="bases"),
    path("bases/declare/", views_bases.base_declare, name="base_declare"),
    path("bases/import/", views_bases.base_import, name="base_import"),
    path("bases/imports/", views_bases.base_import_list, name="base_imports"),
    path("bases/imports/<int:job_id>/", views_bases.base_import_job, name="base_import_job"),
    path("bases/imports/<int:job_id>/confirm/", views_bases.base_import_confirm, name="base_import_confirm"),
    path("bases/imports/<int:job_id>/discard/", views_bases.base_import_discard, name="base_import_discard"),
    path("bases/imports/<int:job_id>/undo/", views_bases.base_import_undo, name="base_import_undo"),
    path("bases/<int:base_id>/decide/", views_bases.base_decide, name="base_decide"),
]
