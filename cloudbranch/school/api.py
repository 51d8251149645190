"""/api/school: one router assembled from the areas."""

from . import api_attendance, api_classes, api_reports, api_results

router = api_classes.router
router.add_router("", api_attendance.router)
router.add_router("", api_results.router)
router.add_router("", api_reports.router)
