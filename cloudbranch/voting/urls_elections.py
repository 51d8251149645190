"""Pages of the elections area (filled in by its views module)."""

urlpatterns: list = []
