"""Pages of the dashboard area: the cockpit page (``?unit=&year=&month=``, ``&screen=1`` for the big
screen) and its .xlsx export."""

from django.urls import path

from . import views_dashboard

urlpatterns: list = [
    path("", views_dashboard.dashboard_page, name="dashboard"),
    path("export.xlsx", views_dashboard.dashboard_export, name="dashboard_export"),
]
