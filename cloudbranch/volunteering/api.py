"""/api/service: one router assembled from the areas."""

from . import api_matching, api_partnerships, api_posts, api_wishes

router = api_posts.router
router.add_router("", api_matching.router)
router.add_router("", api_wishes.router)
router.add_router("", api_partnerships.router)
