from django.urls import path

from . import views_billing

urlpatterns = [
    path("bills/", views_billing.bill_list, name="bills"),
    path("bills/generate/", views_billing.bill_generate, name="bill_generate"),
    path("bills/<int:bill_id>/exempt/", views_billing.bill_exempt, name="bill_exempt"),
]
