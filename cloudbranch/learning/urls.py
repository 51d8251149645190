"""URLs of learning, one module per area."""

from . import urls_exams, urls_quiz, urls_resources, urls_tasks

app_name = "learning"

urlpatterns = [
    *urls_resources.urlpatterns,
    *urls_tasks.urlpatterns,
    *urls_exams.urlpatterns,
    *urls_quiz.urlpatterns,
]
