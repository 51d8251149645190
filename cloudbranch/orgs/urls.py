from django.urls import path

from . import views

app_name = "orgs"

urlpatterns = [
    path("", views.tree, name="tree"),
    path("pick/", views.unit_pick, name="unit_pick"),
    path("roles/", views.roles, name="roles"),
    path("roles/grant/", views.role_grant, name="role_grant"),
    path("roles/<int:assignment_id>/revoke/", views.role_revoke, name="role_revoke"),
    path("<int:unit_id>/", views.unit_detail, name="unit_detail"),
    path("<int:unit_id>/children/", views.tree_children, name="tree_children"),
    path("<int:unit_id>/children/new/", views.unit_create, name="unit_create"),
    path("<int:unit_id>/edit/", views.unit_edit, name="unit_edit"),
    path("<int:unit_id>/move/", views.unit_move, name="unit_move"),
    path("<int:unit_id>/merge/", views.unit_merge, name="unit_merge"),
    path("<int:unit_id>/dissolve/", views.unit_dissolve, name="unit_dissolve"),
]
