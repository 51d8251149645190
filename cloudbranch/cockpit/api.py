"""/api/cockpit: metrics and warnings."""

from . import api_metrics, api_warnings

router = api_metrics.router
router.add_router("", api_warnings.router)
