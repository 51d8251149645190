"""Member development (发展党员), transfers (组织关系转接), mobile members (流动党员) and
thought reports (思想汇报) — SPEC §4.

The rules of the pipeline are data: a ``RuleSet`` (e.g. "2014") holds 25 ``RuleStep`` rows with
their prerequisites, intervals, requirements and source articles (migration 0002). A ``Case``
keeps the rule set it started under; the engine in ``rules.py`` / ``cases.py`` reads only the
data, so a later rule set is added by a migration, not by code.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import ScopedQuerySet, granted_prefixes, scope_q
from cloudbranch.people.models import Person

from .choices import (
    ActivityKind,
    ApprovalDecision,
    BatchStatus,
    CaseStatus,
    ContactMethod,
    ContactRole,
    DocumentKind,
    LostContactStatus,
    MobileReason,
    MobileStatus,
    NoticeKind,
    Recorder,
    RecordStatus,
    ReportStatus,
    Stage,
    TerminationReason,
    TransferKind,
    TransferSide,
    TransferStatus,
)

# ---------------------------------------------------------------------------------------------
# Rules (data)


class RuleSet(models.Model):
    """A version of the development rules. A case uses the latest rule set whose ``valid_from``
    is on or before its application date, and keeps it to the end."""

    code = models.CharField(_("版本"), max_length=16, unique=True)
    title = models.CharField(_("名称"), max_length=200)
    valid_from = models.DateField(_("适用于此日及以后提出申请的"))
    source = models.TextField(_("依据"))
    public_notice_workdays = models.PositiveSmallIntegerField(
        _("公示期（工作日）"), default=5, help_text=_("细则未规定天数，5 个工作日为通行做法，可按本校规定修改")
    )
    probation_months = models.PositiveSmallIntegerField(_("预备期（月）"), default=12)
    extension_min_months = models.PositiveSmallIntegerField(_("延长预备期最短（月）"), default=6)
    extension_max_months = models.PositiveSmallIntegerField(_("延长预备期最长（月）"), default=12)
    extension_source = models.TextField(_("延长预备期依据"), blank=True)
    reminder_days = models.PositiveSmallIntegerField(_("提前提醒（天）"), default=14)

    class Meta:
        verbose_name = _("发展党员规则版本")
        verbose_name_plural = _("发展党员规则版本")
        ordering = ["-valid_from"]

    def __str__(self) -> str:
        return self.title


class RuleStep(models.Model):
    """One of the 25 steps of a rule set.

    ``prerequisites``: codes of steps that must be recorded (validly) before this one.
    ``intervals``: list of {"from": <step code or "probation_end">, "min": {"months"|"days"|"years": n},
    "due": {...}, "limit": {...}, "source": "..."}. ``min``: the earliest date (refused before);
    ``due``: the deadline (a later recording needs a written reason; reminders and overdue
    warnings use it); ``limit``: never beyond (refused after). Month arithmetic clamps to the month
    end (2024-02-29 + 1 year = 2025-02-28), as 民法典 第二百零三条 counts periods.
    ``requirements``: step-specific checks, e.g. {"min_age": 18}, {"sponsors": [1, 2]},
    {"introducers": 2}, {"training": {"days": 3, "hours": 24}}, {"vote": true},
    {"public_notice": "candidate"}, {"min_records": {"activist_assessment": 2}},
    {"leaving_months": 3}, {"every_months": 6}.
    """

    rule_set = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="steps")
    code = models.CharField(_("代码"), max_length=40)
    number = models.PositiveSmallIntegerField(_("序号"))
    stage = models.PositiveSmallIntegerField(_("阶段"), choices=Stage.choices)
    name = models.CharField(_("步骤"), max_length=100)
    description = models.TextField(_("说明"), blank=True)
    source = models.TextField(_("依据条款"))
    recorder = models.CharField(_("记录人"), max_length=16, choices=Recorder.choices, default=Recorder.BRANCH)
    prerequisites = models.JSONField(_("前置步骤"), default=list, blank=True)
    intervals = models.JSONField(_("时间要求"), default=list, blank=True)
    requirements = models.JSONField(_("其他要求"), default=dict, blank=True)
    documents = models.JSONField(_("所需材料"), default=list, blank=True)
    repeatable = models.BooleanField(_("可多次记录"), default=False)
    sets_status = models.CharField(_("记录后政治面貌"), max_length=16, blank=True)
    sets_date_field = models.CharField(_("记录后写入人员日期"), max_length=32, blank=True)
    date_from_step = models.CharField(
        _("写入的日期取自"), max_length=40, blank=True, help_text=_("为空取本步骤日期；如入党日期取支部大会通过之日")
    )
    completes_case = models.BooleanField(_("完成发展"), default=False)

    class Meta:
        verbose_name = _("发展党员步骤")
        verbose_name_plural = _("发展党员步骤")
        ordering = ["rule_set_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["rule_set", "code"], name="development_step_code_unique"),
            models.UniqueConstraint(fields=["rule_set", "number"], name="development_step_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.name}"


class CalendarDay(models.Model):
    """An exception to the Monday–Friday working week: a public holiday on a weekday
    (``is_workday`` false) or a make-up working day on a weekend (true). Used to count the
    public notice period in working days."""

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("是否工作日"))
    note = models.CharField(_("说明"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("节假日调整")
        verbose_name_plural = _("节假日调整")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.note}"


# ---------------------------------------------------------------------------------------------
# Cases


class Case(models.Model):
    """A person's development from application to confirmation (or termination with a reason).

    ``stage``, ``last_step_number``, ``next_step_code`` and ``next_due_on`` are kept by the
    engine after every change so that pipeline views over a province read one table.
    """

    scope_path = "person__unit__path"

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="development_cases")
    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="cases", verbose_name=_("规则版本"))
    status = models.CharField(_("状态"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    stage = models.PositiveSmallIntegerField(_("当前阶段"), choices=Stage.choices, default=Stage.APPLICATION)
    applied_on = models.DateField(_("申请入党日期"))
    last_step_number = models.PositiveSmallIntegerField(_("已完成至步骤"), default=0)
    next_step_code = models.CharField(_("下一步骤"), max_length=40, blank=True)
    next_due_on = models.DateField(_("下一期限"), null=True, blank=True)
    next_earliest_on = models.DateField(_("下一步最早日期"), null=True, blank=True)
    # Milestone dates (first valid record of the step), kept by the engine with the fields above:
    # the pipeline's time-per-stage averages read them from this one table.
    activist_on = models.DateField(_("确定积极分子"), null=True, blank=True)
    candidate_on = models.DateField(_("确定发展对象"), null=True, blank=True)
    admitted_on = models.DateField(_("党委审批接收"), null=True, blank=True)
    confirmed_on = models.DateField(_("党委审批转正"), null=True, blank=True)
    extension_months = models.PositiveSmallIntegerField(_("延长预备期（月）"), default=0)
    extended_on = models.DateField(_("延长预备期决定日期"), null=True, blank=True)
    extension_reason = models.TextField(_("延长预备期原因"), blank=True)
    expected_leave_on = models.DateField(_("预计离校日期"), null=True, blank=True)
    terminated_on = models.DateField(_("终止日期"), null=True, blank=True)
    termination_reason = models.CharField(_("终止原因"), max_length=32, choices=TerminationReason.choices, blank=True)
    termination_note = models.TextField(_("终止说明"), blank=True)
    completed_on = models.DateField(_("转正日期"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("发展党员")
        verbose_name_plural = _("发展党员")
        ordering = ["-applied_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(status="open"), name="development_one_open_case_per_person"
            )
        ]
        indexes = [
            models.Index(fields=["status", "stage"]),
            models.Index(fields=["status", "next_due_on"]),
            # The cases list's order: a page of the whole university read in index order.
            models.Index(fields=["-applied_on", "-id"], name="development_case_listing"),
        ]
        permissions = [
            ("record_step", _("记录发展党员步骤")),
            ("approve_step", _("上级党委审批发展党员步骤")),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.get_stage_display()}"


class CaseContact(models.Model):
    """A sponsor (培养联系人, one or two, 第十条) or introducer (入党介绍人, two, 第十四条)."""

    scope_path = "case__person__unit__path"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="contacts")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="development_contacts")
    role = models.CharField(_("身份"), max_length=16, choices=ContactRole.choices)
    started_on = models.DateField(_("开始日期"))
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    end_reason = models.CharField(_("更换原因"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("培养联系人或入党介绍人")
        verbose_name_plural = _("培养联系人或入党介绍人")
        ordering = ["role", "started_on", "id"]
        indexes = [models.Index(fields=["person", "role"])]


class StepRecord(models.Model):
    """A recorded step. ``data`` holds what the step needs (vote counts, training days and
    hours, assessment result...). Records are never edited; a wrong latest record is voided
    with a reason, which also undoes what it did to the person."""

    scope_path = "case__person__unit__path"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="records")
    step = models.ForeignKey(RuleStep, on_delete=models.PROTECT, related_name="+")
    sequence = models.PositiveSmallIntegerField(_("次序"), default=1)
    occurred_on = models.DateField(_("日期"))
    decided_by = models.CharField(_("审批或经办"), max_length=200, blank=True)
    note = models.TextField(_("情况说明"), blank=True)
    late_reason = models.TextField(_("逾期说明"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=8, choices=RecordStatus.choices, default=RecordStatus.VALID)
    void_reason = models.CharField(_("撤销原因"), max_length=500, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    voided_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("发展步骤记录")
        verbose_name_plural = _("发展步骤记录")
        ordering = ["occurred_on", "id"]
        indexes = [models.Index(fields=["case", "status"])]


def document_path(instance, filename: str) -> str:
    return f"development/{instance.case_id}/{secrets.token_hex(8)}-{filename[-80:]}"


class CaseDocument(models.Model):
    """A document of a step: an uploaded scan or a text generated from the case (``body``)."""

    scope_path = "case__person__unit__path"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="documents")
    record = models.ForeignKey(StepRecord, null=True, blank=True, on_delete=models.SET_NULL, related_name="documents")
    kind = models.CharField(_("材料类型"), max_length=32, choices=DocumentKind.choices)
    title = models.CharField(_("标题"), max_length=200)
    file = models.FileField(upload_to=document_path, max_length=255, blank=True)
    original_name = models.CharField(_("文件名"), max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    body = models.TextField(_("正文"), blank=True)
    generated = models.BooleanField(_("系统生成"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("发展材料")
        verbose_name_plural = _("发展材料")
        ordering = ["created_at", "id"]


class PublicNotice(models.Model):
    """公示 of a candidate before the committee's pre-review, or of a probationary member
    before confirmation. ``ends_on`` is ``workdays`` working days after ``starts_on`` inclusive."""

    scope_path = "case__person__unit__path"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(_("公示类型"), max_length=16, choices=NoticeKind.choices)
    starts_on = models.DateField(_("公示开始"))
    ends_on = models.DateField(_("公示结束"))
    workdays = models.PositiveSmallIntegerField(_("公示期（工作日）"))
    text = models.TextField(_("公示内容"))
    contact = models.CharField(_("意见反映渠道"), max_length=200, blank=True)
    objections = models.TextField(_("公示期间收到的意见"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("公示")
        verbose_name_plural = _("公示")
        ordering = ["-starts_on", "-id"]


class IntakeDelay(models.Model):
    """Why a person eligible in an intake round (春季/秋季发展) is not being moved on: recorded by the
    branch, it takes the "overdue" flag off the intake list. One per case and list kind; a new
    reason replaces the old one (the audit log keeps both)."""

    class Kind(models.TextChoices):
        CANDIDATE = "candidate", _("积极分子满一年，可列为发展对象")
        ADMISSION = "admission", _("发展对象可提交支部大会讨论接收")
        CONFIRMATION = "confirmation", _("预备期满，可讨论转正")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="intake_delays")
    kind = models.CharField(_("名单"), max_length=16, choices=Kind.choices)
    reason = models.TextField(_("暂缓原因"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_path = "case__person__unit__path"

    class Meta:
        verbose_name = _("发展名单暂缓说明")
        verbose_name_plural = _("发展名单暂缓说明")
        constraints = [models.UniqueConstraint(fields=["case", "kind"], name="development_one_delay_per_case_and_list")]


class Reminder(models.Model):
    """A reminder or warning sent once per subject and due date (idempotent daily runs)."""

    key = models.CharField(max_length=120, unique=True)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("已发送提醒")
        verbose_name_plural = _("已发送提醒")


# ---------------------------------------------------------------------------------------------
# Transfers (组织关系转接)


class TransferBatch(models.Model):
    """Graduation-season bulk transfer: one spreadsheet or selection, validated in full and
    submitted all-or-nothing."""

    scope_path = "from_unit__path"

    from_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("转出组织"))
    title = models.CharField(_("批次名称"), max_length=200)
    file_name = models.CharField(_("文件名"), max_length=200, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=BatchStatus.choices)
    total_rows = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("批量转接")
        verbose_name_plural = _("批量转接")
        ordering = ["-created_at", "-id"]


class TransferQuerySet(ScopedQuerySet):
    def restrict(self, user, action: str = "view"):
        """Either side sees a transfer: the sending unit's subtree or the receiving one's."""
        perm = action if "." in action else f"development.{action}_transfer"
        prefixes = granted_prefixes(user, perm)
        if not prefixes:
            return self.none()
        return self.filter(scope_q("from_unit__path", prefixes) | scope_q("to_unit__path", prefixes))


class Transfer(models.Model):
    """A transfer of a person's organizational relationship.

    internal: from_unit → to_unit, both in the system; approved by the sending then the
    receiving side; on completion the person's unit changes (history kept).
    outgoing: from_unit → ``external_org``; after approval a letter (``letter_number``) is issued
    and followed up until ``receipt_returned_on``; the person leaves the roster.
    incoming: ``external_org`` → to_unit; checked and assigned by the receiving side, which
    creates or reactivates the person (``person`` is set on completion).
    """

    kind = models.CharField(_("类型"), max_length=16, choices=TransferKind.choices)
    status = models.CharField(_("状态"), max_length=16, choices=TransferStatus.choices)
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="transfers")
    person_name = models.CharField(_("姓名"), max_length=64)
    incoming_data = models.JSONField(
        default=dict, blank=True, help_text="incoming only: the person's details until assignment (ID encrypted)"
    )
    from_unit = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("转出组织")
    )
    to_unit = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("接收组织")
    )
    external_org = models.CharField(_("系统外党组织"), max_length=200, blank=True)
    reason = models.CharField(_("转接原因"), max_length=200)
    letter_number = models.CharField(_("介绍信编号"), max_length=64, blank=True, db_index=True)
    letter_valid_days = models.PositiveSmallIntegerField(_("介绍信有效期（天）"), default=90)
    letter_issued_on = models.DateField(_("开具日期"), null=True, blank=True)
    receipt_due_on = models.DateField(_("回执应返回日期"), null=True, blank=True)
    receipt_returned_on = models.DateField(_("回执返回日期"), null=True, blank=True)
    dues_paid_until = models.DateField(_("党费交至"), null=True, blank=True)
    completed_on = models.DateField(_("完成日期"), null=True, blank=True)
    note = models.TextField(_("备注"), blank=True)
    batch = models.ForeignKey(TransferBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="transfers")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TransferQuerySet.as_manager()

    class Meta:
        verbose_name = _("组织关系转接")
        verbose_name_plural = _("组织关系转接")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(status__in=["pending_out", "pending_in", "letter_issued"]),
                name="development_one_open_transfer_per_person",
            ),
            models.UniqueConstraint(
                fields=["letter_number"],
                condition=Q(kind="outgoing") & ~Q(letter_number=""),
                name="development_outgoing_letter_number_unique",
            ),
        ]
        indexes = [models.Index(fields=["status", "receipt_due_on"])]
        permissions = [("approve_transfer", _("审批组织关系转接"))]

    def __str__(self) -> str:
        return f"{self.person_name} · {self.get_kind_display()}"


class TransferApproval(models.Model):
    """One decision on a transfer, by one side, at one level (multi-level approval)."""

    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="approvals")
    side = models.CharField(_("审批方"), max_length=16, choices=TransferSide.choices)
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("审批组织"))
    decision = models.CharField(_("意见"), max_length=16, choices=ApprovalDecision.choices)
    comment = models.CharField(_("说明"), max_length=500, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("转接审批")
        verbose_name_plural = _("转接审批")
        ordering = ["decided_at", "id"]


# ---------------------------------------------------------------------------------------------
# Mobile members (流动党员) and lost contact


class MobileRecord(models.Model):
    """A period away from the home branch (mobile member, 2024 中办 opinion: unable to take part
    in the branch's life for 6 months or more)."""

    scope_path = "person__unit__path"

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="mobile_records")
    status = models.CharField(_("状态"), max_length=16, choices=MobileStatus.choices, default=MobileStatus.ACTIVE)
    started_on = models.DateField(_("外出日期"))
    expected_return_on = models.DateField(_("预计返回日期"), null=True, blank=True)
    returned_on = models.DateField(_("返回日期"), null=True, blank=True)
    destination = models.CharField(_("流入地"), max_length=200)
    reason = models.CharField(_("外出原因"), max_length=16, choices=MobileReason.choices)
    reason_note = models.CharField(_("原因说明"), max_length=500, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20)
    contact_other = models.CharField(_("其他联系方式"), max_length=200, blank=True)
    mobile_branch = models.ForeignKey(
        OrgUnit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="mobile_records",
        verbose_name=_("所在流动党支部"),
    )
    card_number = models.CharField(_("流动党员活动证编号"), max_length=64, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("流动党员登记")
        verbose_name_plural = _("流动党员登记")
        ordering = ["-started_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(status="active"), name="development_one_active_mobile_record"
            )
        ]


class MobileActivity(models.Model):
    """An entry of the activity record (活动证): online organizational life, study, dues, talks."""

    scope_path = "record__person__unit__path"

    record = models.ForeignKey(MobileRecord, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(_("活动类型"), max_length=16, choices=ActivityKind.choices)
    occurred_on = models.DateField(_("日期"))
    title = models.CharField(_("内容"), max_length=200)
    link = models.CharField(_("会议链接或会议号"), max_length=500, blank=True)
    detail = models.TextField(_("详情"), blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("流动党员活动记录")
        verbose_name_plural = _("流动党员活动记录")
        ordering = ["-occurred_on", "-id"]


class MobileReport(models.Model):
    """The mobile member's report to the home branch, at least once a year."""

    scope_path = "record__person__unit__path"

    record = models.ForeignKey(MobileRecord, on_delete=models.CASCADE, related_name="reports")
    year = models.PositiveSmallIntegerField(_("年度"))
    content = models.TextField(_("汇报内容"))
    submitted_at = models.DateTimeField(default=timezone.now)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    comment = models.TextField(_("支部意见"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("流动党员年度汇报")
        verbose_name_plural = _("流动党员年度汇报")
        ordering = ["-year", "-id"]


class LostContact(models.Model):
    """A lost-contact member's case (党员教育管理工作条例 第二十四条)."""

    scope_path = "person__unit__path"

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="lost_contacts")
    status = models.CharField(_("状态"), max_length=16, choices=LostContactStatus.choices, default="open")
    lost_since = models.DateField(_("失去联系日期"))
    suspended_on = models.DateField(_("停止党籍日期"), null=True, blank=True)
    removed_on = models.DateField(_("除名日期"), null=True, blank=True)
    restored_on = models.DateField(_("恢复联系日期"), null=True, blank=True)
    note = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("失联党员")
        verbose_name_plural = _("失联党员")
        ordering = ["lost_since", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(status__in=["open", "suspended"]),
                name="development_one_open_lost_contact",
            )
        ]


class ContactAttempt(models.Model):
    """One attempt to reach a lost-contact member, whatever its outcome."""

    scope_path = "lost_contact__person__unit__path"

    lost_contact = models.ForeignKey(LostContact, on_delete=models.CASCADE, related_name="attempts")
    attempted_on = models.DateField(_("日期"))
    method = models.CharField(_("方式"), max_length=16, choices=ContactMethod.choices)
    succeeded = models.BooleanField(_("是否联系上"), default=False)
    note = models.CharField(_("情况"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("联系记录")
        verbose_name_plural = _("联系记录")
        ordering = ["-attempted_on", "-id"]


# ---------------------------------------------------------------------------------------------
# Thought reports (思想汇报)


class ReportPolicy(models.Model):
    """How often people in a unit's subtree submit thought reports; the nearest ancestor's
    policy applies, quarterly (3 months) when none is set."""

    unit = models.OneToOneField(OrgUnit, on_delete=models.CASCADE, related_name="report_policy")
    months = models.PositiveSmallIntegerField(_("提交周期（月）"), default=3)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("思想汇报周期")
        verbose_name_plural = _("思想汇报周期")


class ThoughtReport(models.Model):
    scope_path = "person__unit__path"

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="thought_reports")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="thought_reports")
    period_start = models.DateField(_("汇报周期开始"))
    title = models.CharField(_("标题"), max_length=200)
    content = models.TextField(_("正文"))
    status = models.CharField(_("状态"), max_length=16, choices=ReportStatus.choices, default=ReportStatus.SUBMITTED)
    submitted_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("思想汇报")
        verbose_name_plural = _("思想汇报")
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["person", "period_start"])]


class ThoughtReportComment(models.Model):
    scope_path = "report__person__unit__path"

    report = models.ForeignKey(ThoughtReport, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("意见"))
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("思想汇报意见")
        verbose_name_plural = _("思想汇报意见")
        ordering = ["created_at", "id"]
