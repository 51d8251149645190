"""/api/democracy: the elections area."""

from ninja import Router

router = Router(tags=["选举与评议"])
