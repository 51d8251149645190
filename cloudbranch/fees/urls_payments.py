"""Payment URLs (namespace ``fees``): member's dues, paying, orders, sandbox, callback, receipts,
offline payments, the ledger and reversals."""

from django.urls import path

from . import views_payments as views

urlpatterns = [
    path("mine/", views.my_dues, name="my_dues"),
    path("pay/", views.pay, name="pay"),
    path("orders/<str:order_no>/", views.order, name="order"),
    path("sandbox/<str:order_no>/", views.sandbox_checkout, name="sandbox_checkout"),
    path("callback/<str:provider>/", views.callback, name="callback"),
    path("receipts/<int:entry_id>/", views.receipt, name="receipt"),
    path("receipts/<int:entry_id>/reverse/", views.reverse_entry, name="reverse"),
    path("offline/", views.offline, name="offline"),
    path("entries/", views.entries, name="entries"),
]
