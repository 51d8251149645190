"""/api/democracy: one router assembled from the areas."""

from . import api_appraisals, api_awards, api_elections

router = api_elections.router
router.add_router("", api_appraisals.router)
router.add_router("", api_awards.router)
