"""/api/learning: one router assembled from the areas."""

from . import api_exams, api_quiz, api_resources, api_tasks

router = api_resources.router
router.add_router("", api_tasks.router)
router.add_router("", api_exams.router)
router.add_router("", api_quiz.router)
