"""URLs of the branch feed (活力直播台), in the ``news`` namespace."""

from django.urls import path

from . import views_feed

urlpatterns: list = [
    path("feed/", views_feed.feed_list, name="feed"),
    path("posts/new/", views_feed.post_create, name="post_create"),
    path("posts/<int:post_id>/", views_feed.post_detail, name="post"),
    path("posts/<int:post_id>/like/", views_feed.post_like, name="post_like"),
    path("posts/<int:post_id>/hide/", views_feed.post_hide, name="post_hide"),
    path("posts/<int:post_id>/unhide/", views_feed.post_unhide, name="post_unhide"),
    path("posts/<int:post_id>/video/", views_feed.post_video, name="post_video"),
    path("photos/<int:photo_id>/", views_feed.photo, name="photo"),
]
