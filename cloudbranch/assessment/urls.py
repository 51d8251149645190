"""Pages of quantified assessment under /assessment/ (namespace ``assessment``)."""

from django.urls import path

from . import views

app_name = "assessment"

urlpatterns = [
    path("", views.set_list, name="sets"),
    path("new/", views.set_create, name="set_create"),
    path("<int:set_id>/", views.set_detail, name="set"),
    path("<int:set_id>/copy/", views.set_copy, name="set_copy"),
    path("<int:set_id>/advance/", views.set_advance, name="set_advance"),
    path("<int:set_id>/indicators/new/", views.indicator_add, name="indicator_add"),
    path("indicators/<int:indicator_id>/edit/", views.indicator_edit, name="indicator_edit"),
    path("indicators/<int:indicator_id>/delete/", views.indicator_delete, name="indicator_delete"),
    path("<int:set_id>/scores/", views.scores, name="scores"),
    path("scores/<int:score_id>/", views.score_cell, name="score_cell"),
    path("<int:set_id>/ranking/", views.ranking, name="ranking"),
    path("<int:set_id>/units/<int:unit_id>/", views.unit_detail, name="unit_detail"),
    path("<int:set_id>/export.xlsx", views.export, name="export"),
]
