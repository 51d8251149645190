"""/api/cockpit: metrics, dashboard and warnings."""

from . import api_dashboard, api_metrics, api_warnings

router = api_metrics.router
router.add_router("", api_warnings.router)
router.add_router("", api_dashboard.router)
