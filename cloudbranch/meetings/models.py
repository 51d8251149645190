import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import ScopedQuerySet
from cloudbranch.people.models import Person

from .choices import (
    AttachmentKind,
    AttendanceStatus,
    CheckInMethod,
    InviteeScope,
    MeetingKind,
    MeetingStatus,
    Period,
)


def _checkin_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def _checkin_secret() -> str:
    return secrets.token_urlsafe(32)


class MonthlyTheme(models.Model):
    """一月一主题: a theme an upper unit publishes for a month; branches below plan their
    themed Party day on it. Visible to the publishing unit's whole subtree."""

    scope_path = "unit__path"

    unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="monthly_themes", verbose_name=_("发布组织")
    )
    month = models.DateField(_("月份"), help_text=_("该月 1 日"))
    title = models.CharField(_("主题"), max_length=200)
    description = models.TextField(_("说明"), blank=True)
    materials = models.TextField(_("学习材料"), blank=True, help_text=_("每行一条：标题或链接"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("月度主题")
        verbose_name_plural = _("月度主题")
        ordering = ["-month", "unit_id"]
        constraints = [models.UniqueConstraint(fields=["unit", "month"], name="meetings_theme_one_per_unit_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.title}"


class Meeting(models.Model):
    """A meeting or activity of organizational life (三会一课 and more) held by ``unit``.

    Joint meetings list the other participating units in ``joint_units``; the meeting counts
    toward each unit's compliance. Lifecycle: draft → scheduled → held → archived, or
    cancelled (with a reason) from draft or scheduled; one service per transition.
    """

    scope_path = "unit__path"

    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="meetings", verbose_name=_("主办组织"))
    joint_units = models.ManyToManyField(OrgUnit, blank=True, related_name="joint_meetings", verbose_name=_("联合组织"))
    kind = models.CharField(_("类型"), max_length=16, choices=MeetingKind.choices)
    title = models.CharField(_("标题"), max_length=200)
    topic = models.TextField(_("议题"), blank=True)
    theme = models.ForeignKey(
        MonthlyTheme,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="meetings",
        verbose_name=_("月度主题"),
    )
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    place = models.CharField(_("地点"), max_length=200, blank=True)
    online_link = models.URLField(_("线上会议链接"), blank=True)
    host = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("主持人")
    )
    recorder = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("记录人")
    )
    agenda = models.TextField(_("议程"), blank=True)
    invitee_scope = models.CharField(
        _("参会范围"), max_length=16, choices=InviteeScope.choices, default=InviteeScope.WHOLE_UNIT
    )
    invitee_group = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("党小组")
    )
    # Person ids chosen for an ``InviteeScope.CHOSEN`` meeting, kept until the list is frozen into
    # ``Invitee`` rows at scheduling time.
    chosen_people = models.JSONField(_("指定人员"), default=list, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=MeetingStatus.choices, default=MeetingStatus.DRAFT)
    cancel_reason = models.CharField(_("取消原因"), max_length=500, blank=True)
    minutes = models.TextField(_("会议记录"), blank=True)
    decisions = models.TextField(_("决议事项"), blank=True)
    checkin_code = models.CharField(max_length=6, default=_checkin_code, editable=False)
    checkin_secret = models.CharField(max_length=64, default=_checkin_secret, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    held_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("会议活动")
        verbose_name_plural = _("会议活动")
        ordering = ["-starts_at", "-id"]
        indexes = [
            models.Index(fields=["unit", "kind", "starts_at"]),
            models.Index(fields=["status", "starts_at"]),
            # The list's order (newest first): read in index order, a page of the whole university
            # stops after its rows instead of sorting every meeting (PostgreSQL); also serves the
            # date-range filters that the plain ``starts_at`` index served.
            models.Index(fields=["-starts_at", "-id"], name="meetings_meeting_listing"),
        ]

    def __str__(self) -> str:
        return self.title


class Invitee(models.Model):
    """One person invited to a meeting, frozen when the meeting is scheduled, with their leave
    request and attendance."""

    scope_path = "meeting__unit__path"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="invitees")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="meeting_invitations")
    status = models.CharField(
        _("出席情况"), max_length=16, choices=AttendanceStatus.choices, default=AttendanceStatus.INVITED
    )
    leave_reason = models.CharField(_("请假事由"), max_length=500, blank=True)
    leave_requested_at = models.DateTimeField(null=True, blank=True)
    leave_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    leave_decided_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    check_in_method = models.CharField(max_length=8, choices=CheckInMethod.choices, blank=True)
    manual_reason = models.CharField(_("补签原因"), max_length=500, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("参会人员")
        verbose_name_plural = _("参会人员")
        constraints = [models.UniqueConstraint(fields=["meeting", "person"], name="meetings_invitee_once")]
        indexes = [models.Index(fields=["person", "status"])]


class CheckInToken(models.Model):
    """A used QR token, kept so that a token cannot be replayed by the same person."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=32)
    used_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "person", "nonce"], name="meetings_token_once")]


def attachment_path(instance, filename: str) -> str:
    return f"meetings/{instance.meeting_id}/{secrets.token_hex(8)}-{filename[-80:]}"


class MeetingAttachment(models.Model):
    scope_path = "meeting__unit__path"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(max_length=16, choices=AttachmentKind.choices)
    file = models.FileField(upload_to=attachment_path, max_length=255)
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("会议附件")
        verbose_name_plural = _("会议附件")
        ordering = ["uploaded_at", "id"]


class MinutesAmendment(models.Model):
    """A correction to the minutes of an archived meeting: the archive itself stays read-only."""

    scope_path = "meeting__unit__path"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="amendments")
    text = models.TextField(_("更正内容"))
    reason = models.CharField(_("更正原因"), max_length=500)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]


class Talk(models.Model):
    """谈心谈话 (支部工作条例 2018 第十九条: generally at least once a year)."""

    scope_path = "unit__path"

    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="talks", verbose_name=_("所在组织"))
    interviewer = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="talks_given", verbose_name=_("谈话人")
    )
    interviewee = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="talks_received", verbose_name=_("谈话对象")
    )
    held_on = models.DateField(_("谈话日期"))
    topic = models.CharField(_("主题"), max_length=200)
    summary = models.TextField(_("谈话要点"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("谈心谈话")
        verbose_name_plural = _("谈心谈话")
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["interviewee", "held_on"])]


class ComplianceRule(models.Model):
    """Minimum frequency of a meeting kind for a kind of unit, as versioned rule data.

    The rule set in force for a period is the one with the latest ``valid_from`` on or before
    the period's start. ``needs_committee``: applies only to branches that have a committee
    (支委会 meetings). Numbers and sources: SPEC §2 (支部工作条例 2018).
    """

    rule_set = models.CharField(_("规则版本"), max_length=32)
    valid_from = models.DateField(_("生效日期"))
    kind = models.CharField(_("会议类型"), max_length=16, choices=MeetingKind.choices)
    unit_kinds = models.JSONField(_("适用组织类型"), default=list)
    needs_committee = models.BooleanField(_("仅限设支委会的支部"), default=False)
    period = models.CharField(_("周期"), max_length=8, choices=Period.choices)
    min_count = models.PositiveSmallIntegerField(_("最少次数"), default=1)
    warn_days = models.PositiveSmallIntegerField(_("提前预警天数"), default=7)
    source = models.CharField(_("依据"), max_length=200)

    class Meta:
        verbose_name = _("组织生活规则")
        verbose_name_plural = _("组织生活规则")
        ordering = ["-valid_from", "kind"]
        constraints = [models.UniqueConstraint(fields=["rule_set", "kind"], name="meetings_rule_once_per_set")]

    def __str__(self) -> str:
        return f"{self.rule_set} {self.get_kind_display()} {self.get_period_display()}≥{self.min_count}"
