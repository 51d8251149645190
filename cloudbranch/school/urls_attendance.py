"""Pages of the attendance area (filled in by its views module)."""

urlpatterns: list = []
