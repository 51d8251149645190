"""Communication (SPEC §6): news and affairs disclosure with a review workflow and read receipts,
comments with a sensitive-word filter and moderation, the branch feed, the message board, and
what the public portal shows."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import ScopedQuerySet
from cloudbranch.people.models import Person

from .choices import (
    ArticleStatus,
    Category,
    CommentStatus,
    DisclosureType,
    MessageCategory,
    MessageStatus,
    ReviewAction,
    Reviewer,
    Visibility,
    WordAction,
)


def upload_path(instance, filename: str) -> str:
    return f"news/{timezone.now():%Y/%m}/{secrets.token_hex(8)}-{filename[-80:]}"


class NewsPolicy(models.Model):
    """A unit's settings: who approves its articles, whether the public may leave messages on
    its board without logging in, whether comments are held for review before showing."""

    unit = models.OneToOneField(OrgUnit, on_delete=models.CASCADE, related_name="news_policy")
    reviewer = models.CharField(
        _("审核人"), max_length=16, choices=Reviewer.choices, default=Reviewer.PUBLICITY_OR_SECRETARY
    )
    public_board = models.BooleanField(_("允许未登录访客留言"), default=False)
    hold_comments = models.BooleanField(_("评论先审后发"), default=False)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("宣传设置")
        verbose_name_plural = _("宣传设置")


class Article(models.Model):
    scope_path = "unit__path"

    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("发布组织"))
    category = models.CharField(_("类别"), max_length=16, choices=Category.choices)
    disclosure_type = models.CharField(_("公开类型"), max_length=16, choices=DisclosureType.choices, blank=True)
    disclosure_from = models.DateField(_("公开期自"), null=True, blank=True)
    disclosure_to = models.DateField(_("公开期至"), null=True, blank=True)
    title = models.CharField(_("标题"), max_length=200)
    summary = models.CharField(_("摘要"), max_length=300, blank=True)
    body = models.TextField(_("正文"), help_text=_("富文本，保存时清理"))
    cover = models.FileField(_("封面图"), upload_to=upload_path, max_length=255, blank=True)
    visibility = models.CharField(_("可见范围"), max_length=16, choices=Visibility.choices, default=Visibility.SUBTREE)
    status = models.CharField(_("状态"), max_length=16, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT)
    publish_at = models.DateTimeField(_("定时发布时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    pinned = models.BooleanField(_("置顶"), default=False)
    requires_reading = models.BooleanField(_("要求阅读（回执）"), default=False)
    read_deadline = models.DateField(_("阅读截止"), null=True, blank=True)
    search_text = models.TextField(editable=False, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("文章")
        verbose_name_plural = _("文章")
        ordering = ["-pinned", "-published_at", "-id"]
        indexes = [
            models.Index(fields=["status", "visibility", "-published_at"]),
            models.Index(fields=["status", "publish_at"]),
        ]
        permissions = [("review_article", _("审核文章"))]

    def __str__(self) -> str:
        return self.title


class ArticleAttachment(models.Model):
    scope_path = "article__unit__path"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=upload_path, max_length=255)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["uploaded_at", "id"]


class ArticleReview(models.Model):
    """The workflow history of an article: who submitted, approved, rejected (with the comment),
    published or withdrew it."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="reviews")
    action = models.CharField(max_length=16, choices=ReviewAction.choices)
    comment = models.CharField(_("意见"), max_length=500, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]


class ReadReceipt(models.Model):
    """A person opened an article that requires reading (first read only)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="receipts")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="read_receipts")
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["article", "person"], name="news_receipt_unique")]


class Post(models.Model):
    """活力直播台: a short post from branch activities, with up to 9 photos or one video."""

    scope_path = "unit__path"

    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("所在组织"))
    author = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="posts")
    body = models.TextField(_("内容"), max_length=2000)
    video = models.FileField(_("视频"), upload_to=upload_path, max_length=255, blank=True)
    meeting = models.ForeignKey(
        "meetings.Meeting",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("关联活动"),
    )
    like_count = models.PositiveIntegerField(default=0)
    comment_count = models.PositiveIntegerField(default=0)
    search_text = models.TextField(editable=False, blank=True)
    hidden = models.BooleanField(_("已隐藏"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("动态")
        verbose_name_plural = _("动态")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["unit", "-created_at"]), models.Index(fields=["-created_at", "-id"])]


class PostPhoto(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(upload_to=upload_path, max_length=255)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["post_id", "position"]


class PostLike(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="likes")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "person"], name="news_like_unique")]


class SensitiveWord(models.Model):
    """A word the comment filter looks for (editable data)."""

    word = models.CharField(_("词语"), max_length=50, unique=True)
    action = models.CharField(_("处理"), max_length=8, choices=WordAction.choices, default=WordAction.HOLD)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("敏感词")
        verbose_name_plural = _("敏感词")
        ordering = ["word"]


class Comment(models.Model):
    """A comment on an article or a feed post (exactly one of the two)."""

    article = models.ForeignKey(Article, null=True, blank=True, on_delete=models.CASCADE, related_name="comments")
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("评论"), max_length=1000)
    status = models.CharField(max_length=16, choices=CommentStatus.choices, default=CommentStatus.VISIBLE)
    matched_words = models.JSONField(default=list, blank=True)
    report_count = models.PositiveIntegerField(default=0)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    moderation_note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(article__isnull=False) & Q(post__isnull=True))
                | (Q(article__isnull=True) & Q(post__isnull=False)),
                name="news_comment_one_target",
            )
        ]
        indexes = [models.Index(fields=["status", "created_at"])]
        permissions = [("moderate_comment", _("审核评论"))]


class CommentReport(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("举报理由"), max_length=300)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["comment", "reporter"], name="news_report_once")]


class Message(models.Model):
    """留言板: a message to a unit. ``anonymous`` hides the author from the unit's officers (the
    author is still stored, readable only through the audit administrator's trace)."""

    scope_path = "unit__path"

    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("留言对象"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    visitor_name = models.CharField(_("访客称呼"), max_length=50, blank=True)
    visitor_contact = models.CharField(_("联系方式"), max_length=100, blank=True)
    anonymous = models.BooleanField(_("匿名"), default=False)
    category = models.CharField(_("类别"), max_length=16, choices=MessageCategory.choices)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), max_length=3000)
    status = models.CharField(_("状态"), max_length=16, choices=MessageStatus.choices, default=MessageStatus.OPEN)
    public = models.BooleanField(_("公开显示"), default=True)
    pinned = models.BooleanField(_("热点置顶"), default=False)
    ip_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("留言")
        verbose_name_plural = _("留言")
        ordering = ["-pinned", "-created_at", "-id"]
        indexes = [models.Index(fields=["unit", "status", "-created_at"])]
        permissions = [("reply_message", _("回复留言"))]


class MessageReply(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("回复"), max_length=3000)
    public = models.BooleanField(_("公开回复"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
