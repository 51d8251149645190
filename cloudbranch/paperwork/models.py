"""Official documents (公文材料): .docx templates (data, versioned) and bulk generation batches.

A template's bytes are kept in the database (simple for several processes; at most 5 MB). At most
one template per kind is active; without one, the built-in default of ``builders.py`` is used.
A batch is a selection of objects of one kind under a unit, processed by a background task into
one .zip (also in the database, until ``expires_at``).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import ScopedQuerySet

from .choices import BatchStatus, DocumentKind


class DocumentTemplate(models.Model):
    """An uploaded .docx template of one kind; every upload is a new version (history kept)."""

    kind = models.CharField(_("文书类型"), max_length=32, choices=DocumentKind.choices)
    name = models.CharField(_("名称"), max_length=200)
    file_name = models.CharField(_("文件名"), max_length=200)
    content = models.BinaryField(editable=False)
    size = models.PositiveIntegerField(_("大小"), default=0)
    sha256 = models.CharField(max_length=64, editable=False)
    version = models.PositiveIntegerField(_("版本"))
    is_active = models.BooleanField(_("启用"), default=False)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    activated_at = models.DateTimeField(_("启用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("文书模板")
        verbose_name_plural = _("文书模板")
        ordering = ["kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="paperwork_template_version_unique"),
            models.UniqueConstraint(
                fields=["kind"], condition=Q(is_active=True), name="paperwork_one_active_template_per_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version}"


class DocumentBatch(models.Model):
    """Bulk generation: the objects of one kind selected under ``unit`` (ids fixed at creation)."""

    scope_path = "unit__path"

    kind = models.CharField(_("文书类型"), max_length=32, choices=DocumentKind.choices)
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("范围"))
    filters = models.JSONField(_("筛选条件"), default=dict, blank=True)
    object_ids = models.JSONField(default=list, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=BatchStatus.choices, default=BatchStatus.PENDING)
    total = models.PositiveIntegerField(_("总数"), default=0)
    done = models.PositiveIntegerField(_("已生成"), default=0)
    error = models.TextField(_("错误"), blank=True)
    result = models.BinaryField(null=True, editable=False)
    result_size = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(_("下载截止"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("批量生成")
        verbose_name_plural = _("批量生成")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.total}"

    @property
    def is_finished(self) -> bool:
        return self.status in (BatchStatus.SUCCEEDED, BatchStatus.FAILED)

    @property
    def progress_percent(self) -> int:
        if self.status == BatchStatus.SUCCEEDED:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0
