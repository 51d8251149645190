"""Pages of the warnings area."""

from django.urls import path

from . import views_warnings as views

urlpatterns = [
    path("warnings/", views.warning_list, name="warnings"),
    path("warnings/refresh/", views.warning_refresh, name="warning_refresh"),
]
