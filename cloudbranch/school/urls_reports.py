"""Pages of the reports area (filled in by its views module)."""

urlpatterns: list = []
