"""Pages of the wishes area (filled in by its views module)."""

urlpatterns: list = []
