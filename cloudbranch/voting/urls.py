"""URLs of democracy and appraisal, one module per area."""

from . import urls_appraisals, urls_awards, urls_elections

app_name = "voting"

urlpatterns = [
    *urls_elections.urlpatterns,
    *urls_appraisals.urlpatterns,
    *urls_awards.urlpatterns,
]
