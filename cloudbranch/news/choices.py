from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    NEWS = "news", _("党建动态")
    NOTICE = "notice", _("通知公告")
    DISCLOSURE = "disclosure", _("党务公开")


class DisclosureType(models.TextChoices):
    """What a 党务公开 item discloses (中国共产党党务公开条例（试行）2017: 党的领导活动、党的
    思想建设、组织建设、作风建设、纪律建设情况等)."""

    LEADERSHIP = "leadership", _("党的领导活动")
    IDEOLOGY = "ideology", _("思想建设")
    ORGANIZATION = "organization", _("组织建设")
    DEVELOPMENT = "development", _("发展党员")
    DUES = "dues", _("党费收缴使用")
    CONDUCT = "conduct", _("作风建设")
    DISCIPLINE = "discipline", _("纪律建设")
    AWARDS = "awards", _("评先评优")
    OTHER = "other", _("其他")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("公开（无需登录）")
    SCHOOL = "school", _("全校")
    SUBTREE = "subtree", _("本组织及下级")
    MEMBERS = "members", _("本组织及下级的党员")


class ArticleStatus(models.TextChoices):
    """draft → submitted → (rejected → draft … | scheduled → published | published) → withdrawn."""

    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审核")
    REJECTED = "rejected", _("已退回")
    SCHEDULED = "scheduled", _("定时发布")
    PUBLISHED = "published", _("已发布")
    WITHDRAWN = "withdrawn", _("已撤回")


class ReviewAction(models.TextChoices):
    SUBMIT = "submit", _("提交审核")
    APPROVE = "approve", _("审核通过")
    REJECT = "reject", _("退回")
    PUBLISH = "publish", _("发布")
    WITHDRAW = "withdraw", _("撤回")


class Reviewer(models.TextChoices):
    """Who approves a unit's articles."""

    PUBLICITY_OR_SECRETARY = "either", _("宣传委员或书记")
    SECRETARY = "secretary", _("书记")
    PUBLICITY = "publicity", _("宣传委员")


class CommentStatus(models.TextChoices):
    VISIBLE = "visible", _("已显示")
    HELD = "held", _("待审核")
    REJECTED = "rejected", _("未通过")
    DELETED = "deleted", _("已删除")


class WordAction(models.TextChoices):
    HOLD = "hold", _("转人工审核")
    REJECT = "reject", _("直接拒绝")


class MessageCategory(models.TextChoices):
    SUGGESTION = "suggestion", _("意见建议")
    CONSULTATION = "consultation", _("咨询")
    COMPLAINT = "complaint", _("反映问题")
    PRAISE = "praise", _("表扬")
    OTHER = "other", _("其他")


class MessageStatus(models.TextChoices):
    OPEN = "open", _("待回复")
    ANSWERED = "answered", _("已回复")
    CLOSED = "closed", _("已关闭")
