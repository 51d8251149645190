from django.urls import path

from . import views

app_name = "people"

urlpatterns = [
    path("", views.person_list, name="list"),
    path("new/", views.person_create, name="create"),
    path("me/", views.person_own, name="own"),
    path("export.xlsx", views.export, name="export"),
    path("warnings/", views.warnings, name="warnings"),
    path("unit-picker/", views.unit_picker, name="unit_picker"),
    path("units/<int:unit_id>/summary/", views.unit_summary, name="unit_summary"),
    path("units/<int:unit_id>/committee/", views.committee, name="committee"),
    path("committee/<int:seat_id>/end/", views.committee_end, name="committee_end"),
    path("<int:person_id>/", views.person_detail, name="detail"),
    path("<int:person_id>/edit/", views.person_edit, name="edit"),
    path("<int:person_id>/reveal-id/", views.person_reveal_id, name="reveal_id"),
]
