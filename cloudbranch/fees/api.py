"""/api/fees: one router assembled from the areas of dues."""

from . import api_bases, api_billing, api_payments, api_reports

router = api_bases.router
router.add_router("", api_billing.router)
router.add_router("", api_payments.router)
router.add_router("", api_reports.router)
