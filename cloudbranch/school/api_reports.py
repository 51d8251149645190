"""/api/school: the reports area."""

from ninja import Router

router = Router(tags=["网上党校"])
