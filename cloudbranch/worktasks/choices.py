from django.db import models
from django.utils.translation import gettext_lazy as _


class TaskStatus(models.TextChoices):
    """draft → issued (sent to the target units) → closed (the issuer ends it); cancelled with a
    reason before closing."""

    DRAFT = "draft", _("草稿")
    ISSUED = "issued", _("已下发")
    CLOSED = "closed", _("已结束")
    CANCELLED = "cancelled", _("已撤销")


class TargetStatus(models.TextChoices):
    """A receiving unit's state: issued (not yet opened) → received → in progress (a responsible
    person assigned, progress reported) → submitted (completion with evidence) → accepted by the
    issuer, or returned with a comment (back to in progress until submitted again)."""

    ISSUED = "issued", _("待接收")
    RECEIVED = "received", _("已接收")
    IN_PROGRESS = "in_progress", _("办理中")
    SUBMITTED = "submitted", _("待审核")
    RETURNED = "returned", _("已退回")
    ACCEPTED = "accepted", _("已完成")


OPEN_TARGET_STATUSES = (
    TargetStatus.ISSUED,
    TargetStatus.RECEIVED,
    TargetStatus.IN_PROGRESS,
    TargetStatus.RETURNED,
)


class ReportKind(models.TextChoices):
    PROGRESS = "progress", _("进展")
    COMPLETION = "completion", _("完成报送")


class ReviewDecision(models.TextChoices):
    ACCEPT = "accept", _("通过")
    RETURN = "return", _("退回")
