from django.urls import include, path

from cloudbranch.api import api_urls
from cloudbranch.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("", include("cloudbranch.portal.urls")),
    path("accounts/sso/", include("cloudbranch.accounts.sso.urls")),
    path("accounts/", include("cloudbranch.accounts.urls")),
    path("orgs/", include("cloudbranch.orgs.urls")),
    path("people/import/", include("cloudbranch.people.import_urls")),
    path("people/", include("cloudbranch.people.urls")),
    path("meetings/", include("cloudbranch.meetings.urls")),
    path("fees/", include("cloudbranch.fees.urls")),
    path("development/", include("cloudbranch.development.urls")),
    path("learning/", include("cloudbranch.learning.urls")),
    path("points/", include("cloudbranch.points.urls")),
    path("news/", include("cloudbranch.news.urls")),
    path("service/", include("cloudbranch.volunteering.urls")),
    path("democracy/", include("cloudbranch.voting.urls")),
    path("school/", include("cloudbranch.school.urls")),
    path("documents/", include("cloudbranch.paperwork.urls")),
    path("activate/", include("cloudbranch.onboarding.urls")),
    path("tasks/", include("cloudbranch.worktasks.urls")),
    path("cockpit/", include("cloudbranch.cockpit.urls")),
    path("assessment/", include("cloudbranch.assessment.urls")),
    path("public/", include("cloudbranch.news.urls_portal")),
    path("audit/", include("cloudbranch.audit.urls")),
    path("notifications/", include("cloudbranch.notifications.urls")),
    path("api/", api_urls()),
]

handler400 = "cloudbranch.core.views.bad_request"
handler403 = "cloudbranch.core.views.permission_denied"
handler404 = "cloudbranch.core.views.page_not_found"
handler500 = "cloudbranch.core.views.server_error"
