from django.urls import path

from . import views_bases

urlpatterns = [
    path("bases/", views_bases.base_list, name="bases"),
    path("bases/declare/", views_bases.base_declare, name="base_declare"),
    path("bases/import/", views_bases.base_import, name="base_import"),
    path("bases/<int:base_id>/decide/", views_bases.base_decide, name="base_decide"),
]
