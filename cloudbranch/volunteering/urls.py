"""URLs of service and co-building, one module per area."""

from . import urls_matching, urls_partnerships, urls_posts, urls_wishes

app_name = "volunteering"

urlpatterns = [
    *urls_posts.urlpatterns,
    *urls_matching.urlpatterns,
    *urls_wishes.urlpatterns,
    *urls_partnerships.urlpatterns,
]
