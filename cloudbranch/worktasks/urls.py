"""Pages of worktasks (filled in by its views module)."""

app_name = "worktasks"

urlpatterns: list = []
