from django.urls import path

from . import views_articles as views

urlpatterns = [
    path("", views.article_list, name="articles"),
    path("articles/<int:article_id>/", views.article_detail, name="article"),
    path("articles/<int:article_id>/cover/", views.article_cover, name="article_cover"),
    path("attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
    path("manage/", views.manage, name="manage"),
    path("articles/new/", views.article_create, name="article_create"),
    path("articles/<int:article_id>/edit/", views.article_edit, name="article_edit"),
    path("articles/<int:article_id>/submit/", views.article_submit, name="article_submit"),
    path("articles/<int:article_id>/review/", views.article_review, name="article_review"),
    path("articles/<int:article_id>/withdraw/", views.article_withdraw, name="article_withdraw"),
    path("articles/<int:article_id>/pin/", views.article_pin, name="article_pin"),
    path("articles/<int:article_id>/receipts/", views.article_receipts, name="article_receipts"),
    path("articles/<int:article_id>/remind/", views.article_remind, name="article_remind"),
    path("policy/", views.policy, name="policy"),
]
