"""/api/cockpit: the warnings area."""

from ninja import Router

router = Router(tags=["党建数据座舱"])
