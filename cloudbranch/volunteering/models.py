"""Service and co-building (SPEC §7): volunteer service posts (党员先锋服务云岗位) with shifts,
sign-up, check-in and confirmed hours; micro-wishes (微心愿); partnerships with outside
organizations (党建互联) and their joint activities."""

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
    ContentType,
    PartnerKind,
    PartnershipStatus,
    PostStatus,
    ServiceArea,
    ShiftStatus,
    SignupStatus,
    WishCategory,
    WisherKind,
    WishStatus,
)


def upload_path(instance, filename: str) -> str:
    return f"volunteering/{timezone.now():%Y/%m}/{secrets.token_hex(8)}-{filename[-80:]}"


def _checkin_secret() -> str:
    return secrets.token_urlsafe(32)


class VolunteerProfile(models.Model):
    """What a member offers: skills (``Skill`` values) and free time (``TimeSlot`` values).
    Matching reads it together with the member's past service."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="volunteer_profile")
    skills = models.JSONField(_("特长"), default=list, blank=True)
    free_slots = models.JSONField(_("空闲时间"), default=list, blank=True)
    note = models.CharField(_("补充说明"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("志愿者档案")
        verbose_name_plural = _("志愿者档案")


class ServicePost(models.Model):
    """A service post published by a unit for the members of its subtree."""

    scope_path = "unit__path"

    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("发布组织"))
    title = models.CharField(_("岗位名称"), max_length=120)
    area = models.CharField(_("服务领域"), max_length=16, choices=ServiceArea.choices)
    content_type = models.CharField(_("服务内容"), max_length=16, choices=ContentType.choices)
    place = models.CharField(_("服务地点"), max_length=200)
    description = models.TextField(_("岗位说明"), blank=True)
    skills = models.JSONField(_("所需特长"), default=list, blank=True)
    contact = models.CharField(_("联系人及电话"), max_length=100, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=PostStatus.choices, default=PostStatus.DRAFT)
    organizer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("服务岗位")
        verbose_name_plural = _("服务岗位")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"])]

    def __str__(self) -> str:
        return self.title


class Shift(models.Model):
    """One time slot of a post with its own headcount. Sign-up closes at ``signup_deadline``;
    a volunteer may cancel until ``cancel_cutoff`` (after that the seat is theirs or an absence)."""

    scope_path = "post__unit__path"

    post = models.ForeignKey(ServicePost, on_delete=models.CASCADE, related_name="shifts")
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    headcount = models.PositiveSmallIntegerField(_("招募人数"))
    signup_deadline = models.DateTimeField(_("报名截止"))
    cancel_cutoff = models.DateTimeField(_("取消报名截止"))
    status = models.CharField(_("状态"), max_length=16, choices=ShiftStatus.choices, default=ShiftStatus.SCHEDULED)
    checkin_secret = models.CharField(max_length=64, default=_checkin_secret, editable=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("服务时段")
        verbose_name_plural = _("服务时段")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="volunteering_shift_order"),
            models.CheckConstraint(condition=Q(headcount__gte=1), name="volunteering_shift_headcount"),
        ]

    def __str__(self) -> str:
        return f"{self.post} {timezone.localtime(self.starts_at):%m-%d %H:%M}"


class Signup(models.Model):
    """A volunteer on a shift: seat or waiting list, check-in/out, confirmed hours and the
    evaluation both ways (the volunteer rates the post, the organizer rates the volunteer)."""

    scope_path = "shift__post__unit__path"

    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="signups")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="volunteer_signups")
    status = models.CharField(_("状态"), max_length=16, choices=SignupStatus.choices)
    signed_up_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_out_at = models.DateTimeField(null=True, blank=True)
    hours = models.DecimalField(_("服务时长（小时）"), max_digits=5, decimal_places=1, null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    member_rating = models.PositiveSmallIntegerField(_("志愿者评价岗位"), null=True, blank=True)
    member_comment = models.CharField(_("志愿者评语"), max_length=300, blank=True)
    organizer_rating = models.PositiveSmallIntegerField(_("组织方评价志愿者"), null=True, blank=True)
    organizer_comment = models.CharField(_("组织方评语"), max_length=300, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("报名")
        verbose_name_plural = _("报名")
        ordering = ["signed_up_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["shift", "person"], name="volunteering_signup_once"),
            models.CheckConstraint(
                condition=Q(member_rating__isnull=True) | Q(member_rating__gte=1, member_rating__lte=5),
                name="volunteering_member_rating_range",
            ),
            models.CheckConstraint(
                condition=Q(organizer_rating__isnull=True) | Q(organizer_rating__gte=1, organizer_rating__lte=5),
                name="volunteering_organizer_rating_range",
            ),
        ]
        indexes = [
            models.Index(fields=["person", "status"]),
            models.Index(fields=["shift", "status", "signed_up_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.shift}"


class Invitation(models.Model):
    """An organizer's invitation of one person to a post (from the matching page): at most one per
    post, person and day, so that nobody is pestered."""

    post = models.ForeignKey(ServicePost, on_delete=models.CASCADE, related_name="invitations")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    invited_on = models.DateField()
    invited_at = models.DateTimeField(default=timezone.now)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "person", "invited_on"], name="volunteering_invite_once_a_day")
        ]


class ShiftCheckInToken(models.Model):
    """A used QR token of a shift, kept so that a scan cannot be replayed."""

    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=32)
    used_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shift", "person", "nonce"], name="volunteering_token_once")]


class Wish(models.Model):
    """A micro-wish (微心愿) entered by a unit for a person in need or for a member of the public.
    The wisher's name is shown masked to everyone but the unit's officers; their contact is
    shown to the claimant only."""

    scope_path = "unit__path"

    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("发布组织"))
    title = models.CharField(_("心愿"), max_length=120)
    description = models.TextField(_("详细说明"), blank=True)
    category = models.CharField(_("类别"), max_length=16, choices=WishCategory.choices)
    wisher_kind = models.CharField(_("心愿人类型"), max_length=16, choices=WisherKind.choices)
    wisher_name = models.CharField(_("心愿人姓名"), max_length=64)
    wisher_contact = models.CharField(_("心愿人联系方式"), max_length=64, blank=True)
    wisher_note = models.CharField(_("心愿人情况"), max_length=200, blank=True)
    deadline = models.DateField(_("期望实现日期"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=WishStatus.choices, default=WishStatus.OPEN)
    claimed_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="claimed_wishes"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    fulfil_note = models.TextField(_("实现情况"), blank=True)
    fulfil_photo = models.FileField(_("实现照片"), upload_to=upload_path, max_length=255, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("微心愿")
        verbose_name_plural = _("微心愿")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[WishStatus.OPEN, WishStatus.WITHDRAWN]) | Q(claimed_by__isnull=False),
                name="volunteering_wish_claimed_has_claimant",
            )
        ]

    def __str__(self) -> str:
        return self.title


class WishEvent(models.Model):
    """History of a wish: every transition with who and when (claims released, withdrawals)."""

    wish = models.ForeignKey(Wish, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=16, choices=WishStatus.choices)
    note = models.CharField(max_length=300, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]


class Partner(models.Model):
    """An outside organization we build partnerships with, registered by a unit."""

    scope_path = "unit__path"

    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("登记组织"))
    name = models.CharField(_("单位名称"), max_length=120)
    kind = models.CharField(_("单位类型"), max_length=16, choices=PartnerKind.choices)
    party_org = models.CharField(_("对方党组织"), max_length=120, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=64, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("共建单位")
        verbose_name_plural = _("共建单位")
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["unit", "name"], name="volunteering_partner_unique")]

    def __str__(self) -> str:
        return self.name


class Partnership(models.Model):
    """A co-building agreement (共建协议) between one of our units and a partner."""

    scope_path = "unit__path"

    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("我方组织"))
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="partnerships")
    title = models.CharField(_("共建名称"), max_length=120)
    goals = models.JSONField(_("共建目标"), default=list, blank=True)
    agreement = models.TextField(_("协议要点"), blank=True)
    agreement_file = models.FileField(_("协议文本"), upload_to=upload_path, max_length=255, blank=True)
    signed_on = models.DateField(_("签约日期"))
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    status = models.CharField(
        _("状态"), max_length=16, choices=PartnershipStatus.choices, default=PartnershipStatus.ACTIVE
    )
    end_reason = models.CharField(_("终止原因"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("共建协议")
        verbose_name_plural = _("共建协议")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="volunteering_period_order")
        ]

    def __str__(self) -> str:
        return self.title


class JointActivity(models.Model):
    """An activity held together with the partner, optionally linked to the meeting it was and
    to the feed post that reported it (both in sibling apps, referenced by name)."""

    scope_path = "partnership__unit__path"

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="activities")
    held_on = models.DateField(_("活动日期"))
    title = models.CharField(_("活动名称"), max_length=120)
    summary = models.TextField(_("活动内容"), blank=True)
    participants = models.PositiveIntegerField(_("参加人数"), default=0)
    goal_index = models.PositiveSmallIntegerField(_("对应目标序号"), null=True, blank=True)
    meeting = models.ForeignKey("meetings.Meeting", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    post = models.ForeignKey("news.Post", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("共建活动")
        verbose_name_plural = _("共建活动")
        ordering = ["-held_on", "-id"]


class PartnershipSummary(models.Model):
    """The yearly summary of a partnership: drafted from its activities, edited and saved."""

    scope_path = "partnership__unit__path"

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="summaries")
    year = models.PositiveSmallIntegerField(_("年度"))
    text = models.TextField(_("年度总结"))
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("共建年度总结")
        verbose_name_plural = _("共建年度总结")
        constraints = [models.UniqueConstraint(fields=["partnership", "year"], name="volunteering_summary_once")]
