from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("", views.event_list, name="list"),
    path("export.xlsx", views.export, name="export"),
    path("<int:event_id>/", views.event_detail, name="detail"),
]
