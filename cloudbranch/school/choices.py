from django.db import models
from django.utils.translation import gettext_lazy as _


class ClassKind(models.TextChoices):
    """The yearly training classes of a university's Party school (SPEC §3)."""

    ACTIVIST = "activist", _("入党积极分子培训班")
    CANDIDATE = "candidate", _("发展对象培训班")
    PROBATIONARY = "probationary", _("预备党员培训班")
    SECRETARY = "secretary", _("党支部书记培训班")


class ClassStatus(models.TextChoices):
    """draft → enrolling (enrolment open) → running (sessions under way) → finished (results
    decided, certificates issued); cancelled with a reason before finished."""

    DRAFT = "draft", _("筹备中")
    ENROLLING = "enrolling", _("报名中")
    RUNNING = "running", _("培训中")
    FINISHED = "finished", _("已结业")
    CANCELLED = "cancelled", _("已取消")


class EnrolmentStatus(models.TextChoices):
    ENROLLED = "enrolled", _("在读")
    WAITLISTED = "waitlisted", _("候补")
    WITHDRAWAL_REQUESTED = "withdrawal_requested", _("申请退学")
    WITHDRAWN = "withdrawn", _("已退学")
    PASSED = "passed", _("已结业")
    FAILED = "failed", _("未结业")


# Enrolments that hold one of the class's places.
PLACE_STATUSES = (
    EnrolmentStatus.ENROLLED,
    EnrolmentStatus.WITHDRAWAL_REQUESTED,
    EnrolmentStatus.PASSED,
    EnrolmentStatus.FAILED,
)


class EnrolmentSource(models.TextChoices):
    RULE = "rule", _("按条件批量")
    LIST = "list", _("名单导入")
    MANUAL = "manual", _("逐个添加")


class SessionKind(models.TextChoices):
    OFFLINE = "offline", _("线下面授")
    ONLINE = "online", _("网络课程")
    LIVE = "live", _("直播讲座")


class HourSource(models.TextChoices):
    """Where a student's class hours come from. A live lecture and its replay are the same
    content: whichever is credited first counts, the other never adds to it."""

    OFFLINE = "offline", _("面授签到")
    ONLINE = "online", _("网络课程")
    LIVE = "live", _("直播签到")
    REPLAY = "replay", _("直播回放")
    MANUAL = "manual", _("补记")


class CheckInMethod(models.TextChoices):
    QR = "qr", _("扫码")
    CODE = "code", _("签到码")
    MANUAL = "manual", _("班主任补记")


class SubmissionStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待批阅")
    RETURNED = "returned", _("退回修改")
    GRADED = "graded", _("已批阅")
