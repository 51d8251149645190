"""/api/meetings: one router assembled from the areas of organizational life."""

from ninja import Router

from . import api_attendance, api_compliance, api_meetings, api_records

# The meetings router is the base, not a child mounted at "": django-ninja turns a child's ""
# route into "meetings/" (trailing slash), and the list must answer at /api/meetings.
router: Router = api_meetings.router
router.add_router("", api_attendance.router)
router.add_router("", api_records.router)
router.add_router("", api_compliance.router)
