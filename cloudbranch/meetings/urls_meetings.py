from django.urls import path

from . import views

urlpatterns = [
    path("", views.meeting_list, name="list"),
    path("new/", views.meeting_create, name="create"),
    path("form-parts/", views.meeting_form_parts, name="form_parts"),
    path("themes/", views.theme_list, name="themes"),
    path("themes/new/", views.theme_create, name="theme_create"),
    path("<int:meeting_id>/", views.meeting_detail, name="detail"),
    path("<int:meeting_id>/edit/", views.meeting_edit, name="edit"),
    path("<int:meeting_id>/schedule/", views.meeting_schedule, name="schedule"),
    path("<int:meeting_id>/cancel/", views.meeting_cancel, name="cancel"),
    path("<int:meeting_id>/held/", views.meeting_mark_held, name="mark_held"),
    path("<int:meeting_id>/archive/", views.meeting_archive, name="archive"),
]
