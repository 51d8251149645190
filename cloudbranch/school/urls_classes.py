"""Pages of the classes area (filled in by its views module)."""

urlpatterns: list = []
