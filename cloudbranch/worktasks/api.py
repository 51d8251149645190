"""/api: worktasks."""

from ninja import Router

router = Router(tags=["任务管理"])
