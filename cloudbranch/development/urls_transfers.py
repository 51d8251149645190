from django.urls import path

from . import views_transfers as views

urlpatterns = [
    path("transfers/", views.transfer_list, name="transfers"),
    path("transfers/new/", views.transfer_create, name="transfer_create"),
    path("transfers/people/", views.transfer_person_search, name="transfer_person_search"),
    path("transfers/units/", views.transfer_unit_search, name="transfer_unit_search"),
    path("transfers/<int:transfer_id>/", views.transfer_detail, name="transfer_detail"),
    path("transfers/<int:transfer_id>/decide/", views.transfer_decide, name="transfer_decide"),
    path("transfers/<int:transfer_id>/cancel/", views.transfer_cancel, name="transfer_cancel"),
    path("transfers/<int:transfer_id>/receipt/", views.transfer_receipt, name="transfer_receipt"),
    path("transfers/<int:transfer_id>/letter/", views.transfer_letter, name="transfer_letter"),
    path("transfers/batch/", views.transfer_batch, name="transfer_batch"),
    path("transfers/batch/template.xlsx", views.transfer_batch_template, name="transfer_batch_template"),
    path("transfers/batch/people/", views.transfer_batch_people, name="transfer_batch_people"),
    path("transfers/batches/<int:batch_id>/", views.transfer_batch_detail, name="transfer_batch_detail"),
    path("transfers/batches/<int:batch_id>/approve/", views.transfer_batch_approve, name="transfer_batch_approve"),
]
