"""Pages of the dashboard area (filled in by its views module)."""

urlpatterns: list = []
