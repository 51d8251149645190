from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("", views.event_list, name="list"),
    path("export.xlsx", views.export, name="export"),
    path("export.jsonl.gz", views.export_jsonl, name="export_jsonl"),
    path("integrity/", views.integrity, name="integrity"),
    path("integrity/verify/", views.verify, name="verify"),
    path("<int:event_id>/", views.event_detail, name="detail"),
]
