"""URLs of dues, one module per area."""

from . import urls_bases, urls_billing, urls_payments, urls_reports

app_name = "fees"

urlpatterns = [
    *urls_bases.urlpatterns,
    *urls_billing.urlpatterns,
    *urls_payments.urlpatterns,
    *urls_reports.urlpatterns,
]
