"""/api/school: the attendance area."""

from ninja import Router

router = Router(tags=["网上党校"])
