"""URLs of organizational life, one module per area (each owned by its area's code)."""

from . import urls_attendance, urls_compliance, urls_meetings, urls_records

app_name = "meetings"

urlpatterns = [
    *urls_meetings.urlpatterns,
    *urls_attendance.urlpatterns,
    *urls_records.urlpatterns,
    *urls_compliance.urlpatterns,
]
