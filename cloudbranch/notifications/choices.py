from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    """What a notification is about; preferences are set per category and channel."""

    SYSTEM = "system", _("系统通知")
    IMPORT = "import", _("导入结果")
    REMINDER = "reminder", _("到期提醒")
    MEETING = "meeting", _("会议通知")
    TASK = "task", _("工作任务")
    DEVELOPMENT = "development", _("发展党员")
    LEARNING = "learning", _("学习教育")
    NEWS = "news", _("宣传与公开")
    SERVICE = "service", _("志愿服务")
    DEMOCRACY = "democracy", _("选举与评议")
    WARNING = "warning", _("预警")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")
    SKIPPED = "skipped", _("未发送")
