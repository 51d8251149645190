"""Pages of the awards area (filled in by its views module)."""

urlpatterns: list = []
