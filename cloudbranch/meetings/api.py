"""/api/meetings: one router assembled from the areas of organizational life."""

from ninja import Router

from . import api_attendance, api_compliance, api_meetings, api_records

router = Router()
router.add_router("", api_meetings.router)
router.add_router("", api_attendance.router)
router.add_router("", api_records.router)
router.add_router("", api_compliance.router)
