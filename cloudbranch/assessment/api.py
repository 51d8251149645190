"""/api: assessment."""

from ninja import Router

router = Router(tags=["量化考核"])
