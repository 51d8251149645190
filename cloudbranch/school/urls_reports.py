"""Pages of the reports area: evaluation, class and school statistics, export."""

from django.urls import path

from . import views_reports as views

urlpatterns = [
    path("sessions/<int:session_id>/evaluate/", views.evaluate, name="evaluate"),
    path("classes/<int:class_id>/stats/", views.class_stats, name="class_stats"),
    path("classes/<int:class_id>/stats/comments/", views.class_comments, name="class_comments"),
    path("stats/", views.school_stats, name="stats"),
    path("stats/export.xlsx", views.stats_export, name="stats_export"),
]
