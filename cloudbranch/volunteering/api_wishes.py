"""/api/service: the wishes area."""

from ninja import Router

router = Router(tags=["志愿服务与党建互联"])
