"""URLs of communication, one module per area (the public portal has its own: urls_portal)."""

from . import urls_articles, urls_board, urls_comments, urls_feed

app_name = "news"

urlpatterns = [
    *urls_articles.urlpatterns,
    *urls_comments.urlpatterns,
    *urls_feed.urlpatterns,
    *urls_board.urlpatterns,
]
