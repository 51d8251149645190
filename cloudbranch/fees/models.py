"""Dues (党费). Money is ``Decimal`` with two places (fen) everywhere; rounding: fees.money.

The ledger (``LedgerEntry``) is append-only: a correction or refund is a reversal entry that
points at the entry it reverses. A bill's paid amount, and every balance per member, unit and
month, is the sum of its entries — never a stored total.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import ScopedQuerySet
from cloudbranch.people.models import Person

from .choices import ArrearsStatus, BaseKind, BaseStatus, BillStatus, EntryKind, OrderStatus, PaymentMethod

MONEY = {"max_digits": 12, "decimal_places": 2}


class DuesBracket(models.Model):
    """One band of a dues standard, versioned by ``rule_set`` and ``valid_from``.

    A base within (lower, upper] pays ``rate`` × base; a flat band pays ``fixed_amount`` a month.
    Rule set "2008": 中组发〔2008〕3号 (salaried: ≤3000 0.5%, 3000–5000 1%, 5000–10000 1.5%,
    >10000 2%, each band including its upper bound), retirees (2017 notice: basic pension only)
    ≤5000 0.5%, >5000 1%; students and members without income 0.2 yuan a month.
    """

    rule_set = models.CharField(_("标准版本"), max_length=32)
    valid_from = models.DateField(_("生效日期"))
    base_kind = models.CharField(_("基数类型"), max_length=16, choices=BaseKind.choices)
    lower = models.DecimalField(_("下限（不含）"), null=True, blank=True, **MONEY)
    upper = models.DecimalField(_("上限（含）"), null=True, blank=True, **MONEY)
    rate = models.DecimalField(_("比例"), max_digits=6, decimal_places=4, null=True, blank=True)
    fixed_amount = models.DecimalField(_("固定金额"), null=True, blank=True, **MONEY)
    source = models.CharField(_("依据"), max_length=200)

    class Meta:
        verbose_name = _("党费标准")
        verbose_name_plural = _("党费标准")
        ordering = ["rule_set", "base_kind", "lower"]


class DuesBase(models.Model):
    """A member's declared or entered dues base from a month on; approved by the secretary.
    Rows are never overwritten: a new base is a new row, the history stays."""

    scope_path = "person__unit__path"

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="dues_bases")
    base_kind = models.CharField(_("基数类型"), max_length=16, choices=BaseKind.choices)
    amount = models.DecimalField(_("月缴费基数"), default=0, **MONEY)
    effective_from = models.DateField(_("起始月份"), help_text=_("该月 1 日"))
    monthly_dues = models.DecimalField(_("月应缴党费"), default=0, **MONEY)
    status = models.CharField(_("状态"), max_length=16, choices=BaseStatus.choices, default=BaseStatus.DECLARED)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    declared_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("党费基数")
        verbose_name_plural = _("党费基数")
        ordering = ["person_id", "-effective_from", "-id"]
        indexes = [models.Index(fields=["person", "status", "effective_from"])]


class Bill(models.Model):
    """What one member owes for one month. One per member and month."""

    scope_path = "unit__path"

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="dues_bills")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="dues_bills")
    month = models.DateField(_("月份"), help_text=_("该月 1 日"))
    amount_due = models.DecimalField(_("应缴金额"), **MONEY)
    base = models.ForeignKey(DuesBase, null=True, blank=True, on_delete=models.PROTECT, related_name="bills")
    status = models.CharField(_("状态"), max_length=8, choices=BillStatus.choices, default=BillStatus.OPEN)
    exemption_reason = models.CharField(_("免缴原因"), max_length=500, blank=True)
    exemption_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("党费账单")
        verbose_name_plural = _("党费账单")
        ordering = ["-month", "person_id"]
        constraints = [models.UniqueConstraint(fields=["person", "month"], name="fees_bill_one_per_month")]
        indexes = [
            models.Index(fields=["unit", "month", "status"]),
            models.Index(fields=["person", "status"]),
            # The bills list's order (newest month, then unit): read in index order, so a page of
            # the whole university sorts one month's group, not every bill (PostgreSQL).
            models.Index(fields=["-month", "unit"], name="fees_bill_month_unit_desc"),
        ]


class PaymentOrder(models.Model):
    """An online payment of one or more bills through a provider (sandbox, WeChat Pay, ...)."""

    scope_path = "person__unit__path"

    order_no = models.CharField(_("订单号"), max_length=40, unique=True)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="dues_orders")
    bills = models.ManyToManyField(Bill, related_name="orders")
    amount = models.DecimalField(_("金额"), **MONEY)
    provider = models.CharField(_("支付渠道"), max_length=32)
    status = models.CharField(_("状态"), max_length=8, choices=OrderStatus.choices, default=OrderStatus.CREATED)
    provider_txn_id = models.CharField(_("渠道流水号"), max_length=64, blank=True, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("支付订单")
        verbose_name_plural = _("支付订单")
        ordering = ["-created_at", "-id"]


class CallbackLog(models.Model):
    """Every provider callback as received, valid or not (for disputes and reconciliation)."""

    provider = models.CharField(max_length=32)
    order_no = models.CharField(max_length=40, blank=True, db_index=True)
    received_at = models.DateTimeField(default=timezone.now)
    body = models.TextField()
    signature_ok = models.BooleanField(default=False)
    outcome = models.CharField(max_length=200)


class LedgerEntry(models.Model):
    """Append-only money movement. Positive for money received, negative for a reversal."""

    scope_path = "unit__path"

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="dues_entries")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="dues_entries")
    bill = models.ForeignKey(Bill, null=True, blank=True, on_delete=models.PROTECT, related_name="entries")
    order = models.ForeignKey(PaymentOrder, null=True, blank=True, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("类型"), max_length=16, choices=EntryKind.choices)
    method = models.CharField(_("方式"), max_length=16, choices=PaymentMethod.choices)
    amount = models.DecimalField(_("金额"), **MONEY)
    month = models.DateField(_("所属月份"))
    receipt_no = models.CharField(_("收据号"), max_length=40, blank=True)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by", verbose_name=_("冲正对象")
    )
    reason = models.CharField(_("说明"), max_length=500, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("党费台账")
        verbose_name_plural = _("党费台账")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["unit", "month"]), models.Index(fields=["person", "month"])]

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Ledger entries are append-only; record a reversal instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Ledger entries are append-only; record a reversal instead.")


class ArrearsCase(models.Model):
    """A member with 6 consecutive unpaid months and no recorded reason (党章 第九条): the branch
    handles it and its decision is recorded here. The system never removes anyone."""

    scope_path = "unit__path"

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="arrears_cases")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="arrears_cases")
    first_month = models.DateField(_("起始欠缴月份"))
    months = models.PositiveSmallIntegerField(_("连续欠缴月数"))
    status = models.CharField(_("状态"), max_length=16, choices=ArrearsStatus.choices, default=ArrearsStatus.OPEN)
    decision = models.TextField(_("支部决定"), blank=True)
    decided_on = models.DateField(_("决定日期"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("欠缴处理")
        verbose_name_plural = _("欠缴处理")
        ordering = ["-opened_at"]


class BaseImportJob(models.Model):
    """One upload of a payroll workbook (党费基数工资表): checked in full into a stored preview,
    confirmed (re-checked against the preview's hashes, then written all-or-nothing), undoable.

    Private to its creator. The file stays in the database until the preview is confirmed,
    discarded or expired. ``changes`` lists the bases to create (the preview); ``undo_data`` holds
    the ids created and their fingerprints after the write; it is never shown.
    """

    class Status(models.TextChoices):
        PREVIEWED = "previewed", _("待确认")
        CONFIRMING = "confirming", _("正在导入")
        SUCCEEDED = "succeeded", _("已导入")
        STALE = "stale", _("预览已失效")
        EXPIRED = "expired", _("预览已过期")
        DISCARDED = "discarded", _("已放弃")
        UNDOING = "undoing", _("正在撤销")
        UNDONE = "undone", _("已撤销")

    # When the preview was stored: it may be confirmed for IMPORT_PREVIEW_TTL_HOURS (people.import_plan).
    preview_stamp = "created_at"

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(_("文件名"), max_length=200)
    file_data = models.BinaryField(editable=False)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PREVIEWED)
    total_rows = models.PositiveIntegerField(default=0)
    approved_count = models.PositiveIntegerField(default=0)
    declared_count = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=500, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    plan_sha256 = models.CharField(max_length=64, blank=True)
    changes = models.JSONField(default=list, blank=True, editable=False)  # the bases to create, in file order
    fingerprints = models.JSONField(default=dict, blank=True, editable=False)  # existing rows touched: none
    unit_ids = models.JSONField(default=list, blank=True, editable=False)
    undo_data = models.JSONField(default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("党费基数导入")
        verbose_name_plural = _("党费基数导入")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="fees_baseimport_owner_idx")]

    def __str__(self) -> str:
        return self.file_name

    @property
    def created_count(self) -> int:
        return self.approved_count + self.declared_count
