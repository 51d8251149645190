"""Pages of the results area (filled in by its views module)."""

urlpatterns: list = []
