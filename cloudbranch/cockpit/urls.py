"""Pages of the cockpit: dashboards and the warnings list."""

from . import urls_dashboard, urls_warnings

app_name = "cockpit"

urlpatterns = [*urls_dashboard.urlpatterns, *urls_warnings.urlpatterns]
