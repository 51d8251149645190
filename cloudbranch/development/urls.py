"""URLs of member development, one module per area."""

from . import urls_cases, urls_dossier, urls_mobile, urls_pipeline, urls_thought, urls_transfers

app_name = "development"

urlpatterns = [
    *urls_cases.urlpatterns,
    *urls_dossier.urlpatterns,
    *urls_pipeline.urlpatterns,
    *urls_transfers.urlpatterns,
    *urls_mobile.urlpatterns,
    *urls_thought.urlpatterns,
]
