"""Pages of the matching area: profile, recommendations, matching members to a post, statistics."""

from django.urls import path

from . import views_matching as views

urlpatterns = [
    path("me/profile/", views.profile_page, name="profile"),
    path("me/recommended/", views.recommend_page, name="recommend"),
    path("posts/<int:post_id>/match/", views.post_match, name="post_match"),
    path("posts/<int:post_id>/invite/", views.post_invite, name="post_invite"),
    path("stats/", views.stats_page, name="stats"),
    path("stats/export.xlsx", views.stats_export, name="stats_export"),
]
