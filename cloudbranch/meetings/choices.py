from django.db import models
from django.utils.translation import gettext_lazy as _


class MeetingKind(models.TextChoices):
    GENERAL = "general", _("支部党员大会")
    COMMITTEE = "committee", _("支委会")
    GROUP = "group", _("党小组会")
    LECTURE = "lecture", _("党课")
    THEMED_DAY = "themed_day", _("主题党日")
    ORG_LIFE = "org_life", _("组织生活会")
    OTHER = "other", _("其他活动")


class MeetingStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SCHEDULED = "scheduled", _("已通知")
    HELD = "held", _("已召开")
    ARCHIVED = "archived", _("已归档")
    CANCELLED = "cancelled", _("已取消")


# Meetings that count toward compliance: they took place.
COUNTED_STATUSES = (MeetingStatus.HELD, MeetingStatus.ARCHIVED)

# Allowed lifecycle moves; each has one service in services.py.
TRANSITIONS: dict[str, frozenset[str]] = {
    MeetingStatus.DRAFT: frozenset({MeetingStatus.SCHEDULED, MeetingStatus.CANCELLED}),
    MeetingStatus.SCHEDULED: frozenset({MeetingStatus.HELD, MeetingStatus.CANCELLED}),
    MeetingStatus.HELD: frozenset({MeetingStatus.ARCHIVED}),
    MeetingStatus.ARCHIVED: frozenset(),
    MeetingStatus.CANCELLED: frozenset(),
}


class InviteeScope(models.TextChoices):
    WHOLE_UNIT = "unit", _("全体党员")
    COMMITTEE = "committee", _("支委会委员")
    GROUP = "group", _("党小组")
    CHOSEN = "chosen", _("指定人员")


class AttendanceStatus(models.TextChoices):
    INVITED = "invited", _("未签到")
    LEAVE_REQUESTED = "leave_requested", _("请假待批")
    LEAVE_APPROVED = "leave_approved", _("请假")
    LEAVE_REJECTED = "leave_rejected", _("请假未准")
    PRESENT = "present", _("出席")
    ABSENT = "absent", _("缺席")


class CheckInMethod(models.TextChoices):
    QR = "qr", _("扫码")
    CODE = "code", _("签到码")
    MANUAL = "manual", _("补签")


class AttachmentKind(models.TextChoices):
    IMAGE = "image", _("照片")
    DOCUMENT = "document", _("文件")


class Period(models.TextChoices):
    MONTH = "month", _("每月")
    QUARTER = "quarter", _("每季度")
    YEAR = "year", _("每年")


class ComplianceState(models.TextChoices):
    MET = "met", _("已完成")
    DUE = "due", _("进行中")  # period open, not yet met, not close to its end
    WARNING = "warning", _("即将逾期")  # period ends within the warning window, not met
    MISSED = "missed", _("未完成")  # period over, not met
    EXEMPT = "exempt", _("不适用")  # unit did not exist for enough of the period (pro rata)
