"""/api/democracy: the appraisals area."""

from ninja import Router

router = Router(tags=["选举与评议"])
