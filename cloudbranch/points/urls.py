from django.urls import path

from . import views

app_name = "points"

urlpatterns = [
    path("mine/", views.mine, name="mine"),
    path("ranking/", views.ranking, name="ranking"),
    path("rules/", views.rules, name="rules"),
    path("scores/", views.scores, name="scores"),
    path("scores.xlsx", views.scores_export, name="scores_export"),
]
