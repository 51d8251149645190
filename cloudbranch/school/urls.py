"""URLs of the online Party school, one module per area (the public certificate check in the
results area is the one page open without login)."""

from . import urls_attendance, urls_classes, urls_reports, urls_results

app_name = "school"

urlpatterns = [
    *urls_classes.urlpatterns,
    *urls_attendance.urlpatterns,
    *urls_results.urlpatterns,
    *urls_reports.urlpatterns,
]
