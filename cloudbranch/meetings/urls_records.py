"""URLs of the records area: minutes, attachments, print, talks and the ledger."""

from django.urls import path

from . import views_records as views

urlpatterns = [
    path("<int:meeting_id>/records/", views.records_panel, name="records_panel"),
    path("<int:meeting_id>/records/minutes/", views.minutes_save, name="minutes_save"),
    path("<int:meeting_id>/records/amendments/", views.amendment_add, name="amendment_add"),
    path("<int:meeting_id>/records/attachments/", views.attachment_upload, name="attachment_upload"),
    path("<int:meeting_id>/print/", views.print_record, name="print"),
    path("attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
    path("attachments/<int:attachment_id>/delete/", views.attachment_delete, name="attachment_delete"),
    path("talks/", views.talk_list, name="talks"),
    path("talks/new/", views.talk_create, name="talk_create"),
    path("ledger/", views.ledger_page, name="ledger"),
    path("ledger.xlsx", views.ledger_export, name="ledger_export"),
]
