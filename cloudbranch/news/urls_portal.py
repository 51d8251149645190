"""The public portal (no login): /public/, namespace ``public``."""

from django.urls import path

from . import feeds, views_portal

app_name = "public"

urlpatterns = [
    path("", views_portal.home, name="home"),
    path("articles/<int:pk>/", views_portal.article, name="article"),
    path("board/", views_portal.board, name="board"),
    path("board/new/", views_portal.message_create, name="message_create"),
    path("captcha.png", views_portal.captcha, name="captcha"),
    path("rss.xml", feeds.rss, name="feed_rss"),
    path("atom.xml", feeds.atom, name="feed_atom"),
    # Benchmark baseline; answers 404 unless DEBUG or BENCH_BARE_VIEW=1.
    path("_bench/", views_portal.bench_bare, name="bench_bare"),
]
