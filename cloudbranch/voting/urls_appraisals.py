"""Pages of the appraisals area (filled in by its views module)."""

urlpatterns: list = []
