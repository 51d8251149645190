from django.db import models
from django.utils.translation import gettext_lazy as _


class ServiceArea(models.TextChoices):
    """Where a service post serves (the "area" classification of 党员先锋服务云岗位)."""

    CAMPUS = "campus", _("校园服务")
    COMMUNITY = "community", _("社区服务")
    RURAL = "rural", _("乡村振兴")
    EDUCATION = "education", _("助学支教")
    CULTURE = "culture", _("文明创建")
    EVENT = "event", _("大型活动")
    ONLINE = "online", _("线上服务")


class ContentType(models.TextChoices):
    """What the volunteers do on a post."""

    GUIDANCE = "guidance", _("宣讲讲解")
    TUTORING = "tutoring", _("课业辅导")
    ELDERLY = "elderly", _("助老助残")
    ENVIRONMENT = "environment", _("环境保护")
    HEALTH = "health", _("医疗健康")
    LEGAL = "legal", _("法律咨询")
    TECH = "tech", _("技术服务")
    ORDER = "order", _("秩序维护")
    CARE = "care", _("关爱帮扶")
    OTHER = "other", _("其他")


class Skill(models.TextChoices):
    """Declared skills; a post asks for some of them and matching compares the two lists."""

    SPEAKING = "speaking", _("宣讲演讲")
    TEACHING = "teaching", _("教学辅导")
    MEDICAL = "medical", _("医疗护理")
    LAW = "law", _("法律")
    IT = "it", _("计算机与网络")
    PHOTO = "photo", _("摄影摄像")
    WRITING = "writing", _("写作宣传")
    LANGUAGE = "language", _("外语")
    SIGN = "sign", _("手语")
    ART = "art", _("文艺")
    SPORTS = "sports", _("体育")
    DRIVING = "driving", _("驾驶")
    PSYCHOLOGY = "psychology", _("心理咨询")
    ORGANIZING = "organizing", _("活动组织")


class TimeSlot(models.TextChoices):
    """Free time a volunteer declares: weekday × part of day. A shift falls in the slot of its
    start (morning before 12:00, afternoon before 18:00, evening after)."""

    MON_AM = "mon_am", _("周一上午")
    MON_PM = "mon_pm", _("周一下午")
    MON_EV = "mon_ev", _("周一晚上")
    TUE_AM = "tue_am", _("周二上午")
    TUE_PM = "tue_pm", _("周二下午")
    TUE_EV = "tue_ev", _("周二晚上")
    WED_AM = "wed_am", _("周三上午")
    WED_PM = "wed_pm", _("周三下午")
    WED_EV = "wed_ev", _("周三晚上")
    THU_AM = "thu_am", _("周四上午")
    THU_PM = "thu_pm", _("周四下午")
    THU_EV = "thu_ev", _("周四晚上")
    FRI_AM = "fri_am", _("周五上午")
    FRI_PM = "fri_pm", _("周五下午")
    FRI_EV = "fri_ev", _("周五晚上")
    SAT_AM = "sat_am", _("周六上午")
    SAT_PM = "sat_pm", _("周六下午")
    SAT_EV = "sat_ev", _("周六晚上")
    SUN_AM = "sun_am", _("周日上午")
    SUN_PM = "sun_pm", _("周日下午")
    SUN_EV = "sun_ev", _("周日晚上")


class PostStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    OPEN = "open", _("招募中")
    CLOSED = "closed", _("已结束")
    CANCELLED = "cancelled", _("已取消")


class ShiftStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("待开展")
    DONE = "done", _("已完成")
    CANCELLED = "cancelled", _("已取消")


class SignupStatus(models.TextChoices):
    """A volunteer's place on one shift. ``signed_up`` holds a seat; ``waitlisted`` waits for one
    (promoted in sign-up order when a seat frees up); ``cancelled`` by the volunteer before the
    cutoff; ``checked_in`` / ``checked_out`` on the day; ``confirmed`` once the organizer has
    confirmed the hours; ``absent`` when the volunteer did not come."""

    SIGNED_UP = "signed_up", _("已报名")
    WAITLISTED = "waitlisted", _("候补")
    CANCELLED = "cancelled", _("已取消")
    CHECKED_IN = "checked_in", _("已签到")
    CHECKED_OUT = "checked_out", _("已签退")
    CONFIRMED = "confirmed", _("时长已确认")
    ABSENT = "absent", _("缺席")


# Statuses that hold one of the shift's seats.
SEAT_STATUSES = (SignupStatus.SIGNED_UP, SignupStatus.CHECKED_IN, SignupStatus.CHECKED_OUT, SignupStatus.CONFIRMED)


class WishCategory(models.TextChoices):
    STUDY = "study", _("学习用品")
    LIVING = "living", _("生活物资")
    COMPANY = "company", _("陪伴关怀")
    JOB = "job", _("就业帮扶")
    HEALTH = "health", _("医疗健康")
    OTHER = "other", _("其他")


class WisherKind(models.TextChoices):
    IN_NEED = "in_need", _("帮扶对象（组织录入）")
    PUBLIC = "public", _("群众（经组织提交）")


class WishStatus(models.TextChoices):
    """open → claimed (one member) → fulfilled (photo and note) → confirmed by the unit.
    A claim may be released (back to open); the unit may withdraw an open wish."""

    OPEN = "open", _("待认领")
    CLAIMED = "claimed", _("已认领")
    FULFILLED = "fulfilled", _("待确认")
    CONFIRMED = "confirmed", _("已实现")
    WITHDRAWN = "withdrawn", _("已撤回")


class PartnerKind(models.TextChoices):
    UNIVERSITY = "university", _("高校")
    GOVERNMENT = "government", _("机关单位")
    ENTERPRISE = "enterprise", _("企业")
    COMMUNITY = "community", _("社区")
    RURAL = "rural", _("村（乡镇）")
    HOSPITAL = "hospital", _("医院")
    SCHOOL = "school", _("中小学")
    OTHER = "other", _("其他")


class PartnershipStatus(models.TextChoices):
    ACTIVE = "active", _("共建中")
    ENDED = "ended", _("已到期")
    TERMINATED = "terminated", _("已终止")
