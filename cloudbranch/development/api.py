"""/api/development: one router assembled from the areas."""

from . import api_cases, api_dossier, api_intake, api_mobile, api_pipeline, api_thought, api_transfers

router = api_cases.router
router.add_router("", api_dossier.router)
router.add_router("", api_pipeline.router)
router.add_router("", api_intake.router)
router.add_router("", api_transfers.router)
router.add_router("", api_mobile.router)
router.add_router("", api_thought.router)
