"""Pages of the warnings area (filled in by its views module)."""

urlpatterns: list = []
