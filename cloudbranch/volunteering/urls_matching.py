"""Pages of the matching area (filled in by its views module)."""

urlpatterns: list = []
