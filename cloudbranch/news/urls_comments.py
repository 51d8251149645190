"""Comment URLs (namespace ``news``): the panel, add/delete/report, moderation, sensitive words."""

from django.urls import path

from . import views_comments as views

urlpatterns = [
    path("comments/", views.comment_panel, name="comments"),
    path("comments/add/", views.comment_add, name="comment_add"),
    path("comments/<int:comment_id>/delete/", views.comment_delete, name="comment_delete"),
    path("comments/<int:comment_id>/report/", views.comment_report, name="comment_report"),
    path("moderation/", views.moderation, name="moderation"),
    path("moderation/<int:comment_id>/", views.moderate, name="moderate"),
    path("words/", views.words, name="words"),
    path("words/add/", views.word_add, name="word_add"),
    path("words/import/", views.words_import, name="words_import"),
    path("words/<int:word_id>/", views.word_update, name="word_update"),
    path("words/<int:word_id>/remove/", views.word_remove, name="word_remove"),
]
