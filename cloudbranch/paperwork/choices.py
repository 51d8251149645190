"""Choices of official documents (公文材料)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    FILING_FORM = "filing_form", _("发展党员备案表")
    PUBLIC_NOTICE = "public_notice", _("公示")
    TRANSFER_LETTER = "transfer_letter", _("组织关系介绍信")
    LEDGER_COVER = "ledger_cover", _("组织生活台账封面及目录")
    DUES_RECEIPT = "dues_receipt", _("党费收据")


class BatchStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("生成中")
    SUCCEEDED = "succeeded", _("已完成")
    FAILED = "failed", _("失败")
