"""/api/news: one router assembled from the areas."""

from . import api_articles, api_board, api_comments, api_feed

router = api_articles.router
router.add_router("", api_comments.router)
router.add_router("", api_feed.router)
router.add_router("", api_board.router)
