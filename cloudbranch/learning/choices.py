from django.db import models
from django.utils.translation import gettext_lazy as _


class ResourceKind(models.TextChoices):
    ARTICLE = "article", _("图文")
    VIDEO = "video", _("视频")
    AUDIO = "audio", _("音频")
    PDF = "pdf", _("PDF 文档")
    LINK = "link", _("外部链接")


class Column(models.TextChoices):
    FRONTIER = "frontier", _("前沿热点")
    POLICY = "policy", _("政策解读")
    LAW = "law", _("法律法规")
    NEWS = "news", _("新闻观察")
    CULTIVATION = "cultivation", _("党员修养")


class Area(models.TextChoices):
    IDEOLOGY = "ideology", _("思想建设")
    ORGANIZATION = "organization", _("组织建设")
    CONDUCT = "conduct", _("作风建设")
    INTEGRITY = "integrity", _("反腐倡廉建设")
    INSTITUTION = "institution", _("制度建设")


class Audience(models.TextChoices):
    """Who sees what a unit publishes: its own subtree, or the whole tree it belongs to
    (the school: everything under the root)."""

    SUBTREE = "subtree", _("本组织及下级")
    SCHOOL = "school", _("全校")


class PublishStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    WITHDRAWN = "withdrawn", _("已撤回")


class TaskStatus(models.TextChoices):
    ACTIVE = "active", _("进行中")
    CLOSED = "closed", _("已结束")
    CANCELLED = "cancelled", _("已取消")


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("单选题")
    MULTIPLE = "multiple", _("多选题")
    JUDGE = "judge", _("判断题")
    FILL = "fill", _("填空题")


class Difficulty(models.IntegerChoices):
    EASY = 1, _("容易")
    MEDIUM = 2, _("中等")
    HARD = 3, _("较难")


class QuestionStatus(models.TextChoices):
    ACTIVE = "active", _("启用")
    RETIRED = "retired", _("停用")


class PaperMode(models.TextChoices):
    MANUAL = "manual", _("手工组卷")
    RANDOM = "random", _("随机组卷")


class AttemptStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("答题中")
    SUBMITTED = "submitted", _("已交卷")
    EXPIRED = "expired", _("超时自动交卷")


class AnswerSource(models.TextChoices):
    EXAM = "exam", _("考试")
    DAILY = "daily", _("每日答题")
    CONTEST = "contest", _("知识竞赛")
    DUEL = "duel", _("双人对战")
    PRACTICE = "practice", _("练习")


class ContestMode(models.TextChoices):
    INDIVIDUAL = "individual", _("个人赛")
    BRANCH = "branch", _("支部团体赛")


class DuelStatus(models.TextChoices):
    WAITING = "waiting", _("等待应战")
    RUNNING = "running", _("对战中")
    FINISHED = "finished", _("已结束")
    DECLINED = "declined", _("已拒绝")
    EXPIRED = "expired", _("已过期")
