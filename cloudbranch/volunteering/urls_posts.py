"""Pages of the posts area (filled in by its views module)."""

urlpatterns: list = []
