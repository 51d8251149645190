"""URLs of the resources area: study home, library, reading and heartbeats, topics, study record;
managers' resource and topic pages."""

from django.urls import path

from . import views_resources as views

urlpatterns = [
    path("", views.home, name="home"),
    path("resources/", views.resource_list, name="resources"),
    path("resources/<int:resource_id>/", views.resource_detail, name="resource"),
    path("resources/<int:resource_id>/file/", views.resource_file, name="resource_file"),
    path("resources/<int:resource_id>/beat/", views.heartbeat, name="heartbeat"),
    path("topics/", views.topic_list, name="topics"),
    path("topics/<int:topic_id>/", views.topic_detail, name="topic"),
    path("mine/", views.my_study, name="my_study"),
    path("mine/certificate/<int:year>/", views.certificate, name="certificate"),
    path("manage/resources/", views.resource_manage, name="resource_manage"),
    path("manage/resources/new/", views.resource_create, name="resource_create"),
    path("manage/resources/<int:resource_id>/", views.resource_edit, name="resource_edit"),
    path("manage/resources/<int:resource_id>/publish/", views.resource_publish, name="resource_publish"),
    path("manage/resources/<int:resource_id>/withdraw/", views.resource_withdraw, name="resource_withdraw"),
    path("manage/topics/", views.topic_manage, name="topic_manage"),
    path("manage/topics/new/", views.topic_create, name="topic_create"),
    path("manage/topics/<int:topic_id>/", views.topic_edit, name="topic_edit"),
    path("manage/topics/<int:topic_id>/items/", views.topic_items, name="topic_items"),
]
