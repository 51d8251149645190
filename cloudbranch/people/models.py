from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import ScopedQuerySet

from . import crypto
from .choices import (
    PARTY_MEMBER_STATUSES,
    Category,
    CommitteePosition,
    Gender,
    PersonEventKind,
    PoliticalStatus,
    RosterStatus,
)


class PersonQuerySet(ScopedQuerySet):
    def on_roster(self):
        return self.filter(roster_status=RosterStatus.ACTIVE)

    def party_members(self):
        return self.filter(political_status__in=PARTY_MEMBER_STATUSES)

    def with_id_number(self, value: str):
        return self.filter(id_number_hash=crypto.search_hash(value))


class Person(models.Model):
    """One record per human, whatever their political status (SPEC §1).

    The national ID number is stored encrypted (``id_number_encrypted``), searchable by a keyed
    hash (``id_number_hash``) and shown as ``id_number_masked`` unless the viewer holds
    ``people.view_sensitive``. Status and unit changes are recorded as ``PersonEvent`` rows.
    """

    scope_path = "unit__path"

    name = models.CharField(_("姓名"), max_length=64)
    gender = models.CharField(_("性别"), max_length=8, choices=Gender.choices)
    ethnicity = models.CharField(_("民族"), max_length=16, blank=True)
    birth_date = models.DateField(_("出生日期"))
    id_number_encrypted = models.TextField(editable=False)
    id_number_hash = models.CharField(max_length=64, unique=True, editable=False)
    id_number_masked = models.CharField(_("身份证号"), max_length=18, editable=False)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    staff_number = models.CharField(_("学号工号"), max_length=32, blank=True, db_index=True)
    category = models.CharField(_("人员类别"), max_length=16, choices=Category.choices)
    college = models.CharField(_("学院"), max_length=100, blank=True)
    department = models.CharField(_("班级或部门"), max_length=100, blank=True)
    education = models.CharField(_("学历"), max_length=32, blank=True)
    political_status = models.CharField(
        _("政治面貌"), max_length=16, choices=PoliticalStatus.choices, default=PoliticalStatus.MASSES
    )
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="people", verbose_name=_("所在党组织"))
    applied_on = models.DateField(_("申请入党日期"), null=True, blank=True)
    activist_on = models.DateField(_("确定积极分子日期"), null=True, blank=True)
    candidate_on = models.DateField(_("确定发展对象日期"), null=True, blank=True)
    joined_on = models.DateField(_("入党日期"), null=True, blank=True)
    confirmed_on = models.DateField(_("转正日期"), null=True, blank=True)
    is_mobile = models.BooleanField(_("流动党员"), default=False)
    is_lost_contact = models.BooleanField(_("失联"), default=False)
    is_abroad = models.BooleanField(_("出国境"), default=False)
    roster_status = models.CharField(
        _("在册状态"), max_length=16, choices=RosterStatus.choices, default=RosterStatus.ACTIVE
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
        verbose_name=_("登录账号"),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = _("人员")
        ordering = ["unit_id", "name", "id"]
        indexes = [
            models.Index(fields=["unit", "political_status"]),
            # Counts and headcounts of a scope read only this index (roster filter, unit, status).
            models.Index(fields=["roster_status", "unit", "political_status"], name="people_person_roster_idx"),
            models.Index(fields=["name"]),
        ]
        permissions = [
            ("view_sensitive", _("查看完整身份证号等敏感信息")),
            ("import_person", _("导入人员")),
            ("export_person", _("导出人员")),
        ]

    def __str__(self) -> str:
        return self.name

    def set_id_number(self, value: str) -> None:
        self.id_number_encrypted = crypto.encrypt(value)
        self.id_number_hash = crypto.search_hash(value)
        self.id_number_masked = crypto.mask_id_number(value)

    def reveal_id_number(self) -> str:
        """The clear ID number. Callers must check ``people.view_sensitive`` and audit the read
        (``people.selectors.person_reveal_id_number`` does both)."""
        return crypto.decrypt(self.id_number_encrypted)

    @property
    def phone_masked(self) -> str:
        return crypto.mask_phone(self.phone) if self.phone else ""

    @property
    def is_party_member(self) -> bool:
        return self.political_status in PARTY_MEMBER_STATUSES


class PersonEvent(models.Model):
    """History of a person: what changed, when it took effect, who recorded it. Never overwritten."""

    scope_path = "person__unit__path"

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("事件"), max_length=16, choices=PersonEventKind.choices)
    occurred_at = models.DateTimeField(_("记录时间"), default=timezone.now)
    effective_on = models.DateField(_("生效日期"), null=True, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    old_value = models.CharField(_("原值"), max_length=200, blank=True)
    new_value = models.CharField(_("新值"), max_length=200, blank=True)
    details = models.JSONField(default=dict, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("人员变动")
        verbose_name_plural = _("人员变动")
        ordering = ["-occurred_at", "-id"]


class CommitteeMembership(models.Model):
    """A seat on a unit's committee (支委会/党委委员), with its term dates."""

    scope_path = "unit__path"

    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="committee_memberships")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="committee_memberships")
    position = models.CharField(_("职务"), max_length=24, choices=CommitteePosition.choices)
    started_on = models.DateField(_("任职日期"))
    ended_on = models.DateField(_("离任日期"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("委员")
        verbose_name_plural = _("委员")
        ordering = ["unit_id", "position", "started_on"]

    def __str__(self) -> str:
        return f"{self.person} · {self.get_position_display()}"


class ImportJob(models.Model):
    """One upload of a roster spreadsheet: checked in full into a stored preview, confirmed
    (re-checked against the preview's hashes, then committed all-or-nothing), and undoable.

    Visible to its creator (and, once confirmed, to an organization administrator over the units
    it touched). The file is kept in the database (not on a local disk) so that any web or worker
    process can read it; it is dropped once the import is confirmed, failed or expired.
    ``undo_data`` holds what undo needs (ids of created people, before-states of updated people,
    after-fingerprints); it is never shown.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("排队中")
        RUNNING = "running", _("处理中")
        FAILED = "failed", _("有错误，未导入")
        PREVIEWED = "previewed", _("待确认")
        CONFIRMING = "confirming", _("正在导入")
        SUCCEEDED = "succeeded", _("已导入")
        VALIDATED = "validated", _("校验通过（试运行，未写入）")
        STALE = "stale", _("预览已失效")
        EXPIRED = "expired", _("预览已过期")
        DISCARDED = "discarded", _("已放弃")
        UNDOING = "undoing", _("正在撤销")
        UNDONE = "undone", _("已撤销")

    # When the preview was stored: it may be confirmed for IMPORT_PREVIEW_TTL_HOURS (people.import_plan).
    preview_stamp = "finished_at"

    FINISHED = frozenset({"failed", "previewed", "succeeded", "validated", "stale", "expired", "discarded", "undone"})

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(_("文件名"), max_length=200)
    file_data = models.BinaryField(editable=False)
    dry_run = models.BooleanField(_("仅校验"), default=False)
    update_existing = models.BooleanField(_("按身份证号更新已有人员"), default=False)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    message = models.CharField(max_length=500, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    plan_sha256 = models.CharField(max_length=64, blank=True)
    changes = models.JSONField(default=list, blank=True, editable=False)  # planned changes, masked, for the preview
    fingerprints = models.JSONField(default=dict, blank=True, editable=False)  # person id → before fingerprint
    unit_ids = models.JSONField(default=list, blank=True, editable=False)  # units the import touched
    undo_data = models.JSONField(default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "confirmed_at"], name="people_importjob_confirmed_idx")]

    def __str__(self) -> str:
        return self.file_name

    @property
    def progress_percent(self) -> int:
        if not self.total_rows:
            return 100 if self.is_finished else 0
        return min(100, int(self.processed_rows * 100 / self.total_rows))

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED
