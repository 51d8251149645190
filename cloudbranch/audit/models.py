from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    pass


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Audit events are append-only.")

    def delete(self):
        raise AppendOnlyError("Audit events are append-only.")

    _raw_delete = delete

    def bulk_create(self, objs, *args, **kwargs):
        """Seal the rows into today's chain (one head lock, seqs in order) and insert them."""
        from .sealing import sealed

        objs = list(objs)
        if not objs:
            return objs
        with transaction.atomic(using=self.db, savepoint=False), sealed(objs):
            return super().bulk_create(objs, *args, **kwargs)


class AuditEvent(models.Model):
    """One row per change or sensitive read. Never updated or deleted (网络安全法 Art. 21: kept ≥ 6 months).

    ``changes`` holds ``{"field": {"old": ..., "new": ...}}``; a sensitive field is recorded as
    ``{"changed": true}`` so no ID number or phone number is ever stored in clear here.
    """

    occurred_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("操作人"),
    )
    actor_name = models.CharField(_("操作人"), max_length=150, blank=True)
    action = models.CharField(_("操作"), max_length=64, db_index=True)
    target_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    target_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    target_repr = models.CharField(_("对象"), max_length=200, blank=True)
    changes = models.JSONField(_("变更"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    # The hash chain (docs/adr/0011): position in the chain of the day the row was written
    # (Asia/Shanghai), the previous row's hash and this row's SHA-256 (see audit/chain.py).
    chain_day = models.DateField(_("链日期"), editable=False)
    seq = models.PositiveIntegerField(_("序号"), default=0, editable=False)
    prev_hash = models.CharField(_("前一哈希"), max_length=64, default="", editable=False)
    hash = models.CharField(_("哈希"), max_length=64, default="", editable=False)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]
        constraints = [models.UniqueConstraint(fields=["chain_day", "seq"], name="audit_event_chain_day_seq_uniq")]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.action} {self.target_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError("Audit events are append-only.")
        if self.hash:
            super().save(*args, **kwargs)
            return
        from .sealing import sealed

        with transaction.atomic(using=kwargs.get("using"), savepoint=False), sealed([self]):
            super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events are append-only.")


class AuditChainHead(models.Model):
    """The end of one day's chain: how many rows it has and the last hash. Locked (SELECT ... FOR
    UPDATE) by every audited write until its transaction commits, so no two writers take the same
    seq; kept after the day is archived, so a deleted day or a deleted last row shows."""

    day = models.DateField(_("链日期"), primary_key=True)
    seq = models.PositiveIntegerField(_("条数"), default=0)
    last_hash = models.CharField(_("最后哈希"), max_length=64)

    class Meta:
        verbose_name = _("审计链头")
        verbose_name_plural = _("审计链头")
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} #{self.seq}"


class AuditArchive(models.Model):
    """The manifest of one archived day: its rows were written to ``file_name`` (gzip JSON lines),
    read back and checked, then deleted from the table."""

    day = models.DateField(_("链日期"), primary_key=True)
    count = models.PositiveIntegerField(_("条数"))
    prev_hash = models.CharField(_("前一日最后哈希"), max_length=64)
    first_hash = models.CharField(_("首条哈希"), max_length=64)
    last_hash = models.CharField(_("末条哈希"), max_length=64)
    file_name = models.CharField(_("文件"), max_length=255)
    file_sha256 = models.CharField(_("文件 SHA-256"), max_length=64)
    file_size = models.PositiveBigIntegerField(_("文件大小"), default=0)
    archived_at = models.DateTimeField(_("归档时间"), default=timezone.now)
    archived_by = models.CharField(_("归档人"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("审计归档")
        verbose_name_plural = _("审计归档")
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.day} ({self.count})"

    def as_dict(self) -> dict:
        return {
            "day": self.day.isoformat(),
            "count": self.count,
            "prev_hash": self.prev_hash,
            "first_hash": self.first_hash,
            "last_hash": self.last_hash,
            "file_name": self.file_name,
            "file_sha256": self.file_sha256,
            "file_size": self.file_size,
        }


class AuditArchivePermit(models.Model):
    """While a row for a day exists, the database triggers let rows of that day (and only of a day
    with a manifest) be deleted. Inserted and removed again inside the archiving transaction,
    so it is never visible outside it."""

    day = models.DateField(primary_key=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("审计归档许可")
        verbose_name_plural = _("审计归档许可")
