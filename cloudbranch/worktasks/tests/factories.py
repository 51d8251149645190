"""Test helpers of worktasks (append only)."""

from __future__ import annotations

import datetime
import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cloudbranch.worktasks import tasks


def pdf_file(name: str = "材料.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", content_type="application/pdf"
    )


def docx_file(name: str = "方案.docx") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return SimpleUploadedFile(name, buffer.getvalue())


def fake_pdf(name: str = "假.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"MZ\x90\x00 not a pdf")


def png_file(name: str = "照片.png") -> SimpleUploadedFile:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 0, 0)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue())


def in_days(days: float, *, hour: int = 17) -> datetime.datetime:
    """A local moment ``days`` from today at ``hour``:00."""
    day = timezone.localdate() + datetime.timedelta(days=int(days))
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def issue_task(
    actor,
    issuer,
    units,
    *,
    title="开展主题党日活动",
    deadline=None,
    evidence_expected="",
    kinds=(),
    files=(),
    now=None,
):
    """An issued task of ``issuer`` to ``units`` (through the services)."""
    return tasks.task_create(
        actor=actor,
        issuer_id=issuer.pk,
        title=title,
        requirements="按要求组织开展并报送材料。",
        evidence_expected=evidence_expected,
        deadline=deadline or in_days(10),
        files=list(files),
        issue=True,
        target_kinds=list(kinds),
        target_unit_ids=[u.pk for u in units],
        now=now,
    )


def target_of(task, unit):
    return task.targets.get(unit=unit)
