"""Pages of assessment (filled in by its views module)."""

app_name = "assessment"

urlpatterns: list = []
