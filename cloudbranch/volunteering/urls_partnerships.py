"""Pages of the partnerships area (filled in by its views module)."""

urlpatterns: list = []
