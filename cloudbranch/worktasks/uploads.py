"""Checking uploaded task attachments and evidence files: PDF, Office Open XML (.docx, .xlsx,
.pptx) and photos, each at most 20 MB. Documents are recognised by their content as well as their
extension (``core.documents``); anything else must open as a JPEG, PNG or WebP image and is
re-encoded without metadata (``core.images``), so a phone photo's GPS position never reaches storage."""

from __future__ import annotations

import os
from dataclasses import dataclass

from cloudbranch.core import images as core_images
from cloudbranch.core.documents import matches_extension

MB = core_images.MB
MAX_FILE_BYTES = 20 * MB
MAX_FILES = 10
MAX_IMAGE_SIDE = 2048
DOCUMENT_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
HINT = "允许上传 PDF、Word（.docx）、Excel（.xlsx）、PowerPoint（.pptx）和图片（JPG、PNG、WebP），每个不超过 20 MB。"


@dataclass(frozen=True)
class CleanFile:
    name: str
    content_type: str
    data: bytes


def clean_upload(uploaded_file, *, field: str = "files") -> CleanFile:
    """What may be stored of one upload, or DomainError on ``field``."""
    original = core_images.upload_name(uploaded_file, default="附件")[-150:]
    data = core_images.read_upload(
        uploaded_file, max_bytes=MAX_FILE_BYTES, too_big=f"文件“{original}”超过 20 MB，不能上传。", field=field
    )
    if not data:
        raise core_images.refuse(f"文件“{original}”是空文件。", field=field)
    ext = os.path.splitext(original)[1].lower()
    if ext in DOCUMENT_TYPES:
        if not matches_extension(ext, data):
            raise core_images.refuse(f"文件“{original}”的内容与扩展名 {ext} 不符，不能上传。{HINT}", field=field)
        return CleanFile(original, DOCUMENT_TYPES[ext], data)
    image = core_images.clean_image(data, original, max_side=MAX_IMAGE_SIDE, field=field, hint=HINT)
    return CleanFile(image.name, image.content_type, image.data)


def clean_uploads(files, *, field: str = "files") -> list[CleanFile]:
    files = [f for f in (files or []) if f]
    if len(files) > MAX_FILES:
        raise core_images.refuse(f"一次最多上传 {MAX_FILES} 个文件。", field=field)
    return [clean_upload(f, field=field) for f in files]
