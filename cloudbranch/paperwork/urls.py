from django.urls import path

from . import views

app_name = "paperwork"

urlpatterns = [
    path("", views.index, name="index"),
    path("fields/", views.fields, name="fields"),
    path("templates/upload/", views.template_upload, name="template_upload"),
    path("templates/<int:template_id>/activate/", views.template_activate, name="template_activate"),
    path("templates/<int:template_id>/download/", views.template_download, name="template_download"),
    path("templates/default/<str:kind>/", views.default_download, name="default_download"),
    path("cases/<int:case_id>/filing-form/", views.filing_form, name="filing_form"),
    path("notices/<int:notice_id>/notice/", views.public_notice, name="public_notice"),
    path("transfers/<int:transfer_id>/letter/", views.transfer_letter, name="transfer_letter"),
    path("ledgers/<int:unit_id>/<int:year>/cover/", views.ledger_cover, name="ledger_cover"),
    path("receipts/<int:entry_id>/receipt/", views.dues_receipt, name="dues_receipt"),
    path("batches/new/", views.batch_create, name="batch_create"),
    path("batches/<int:batch_id>/", views.batch_detail, name="batch_detail"),
    path("batches/<int:batch_id>/progress/", views.batch_progress, name="batch_progress"),
    path("batches/<int:batch_id>/download/", views.batch_download, name="batch_download"),
]
