"""Checking and cleaning uploaded meeting attachments.

Images are recognised by their content (Pillow must open them as JPEG, PNG or WebP), never by the
file name, and re-encoded by ``cloudbranch.core.images`` (shared with the news feed): turned upright
by their EXIF orientation, shrunk so the longest side is at most ``MAX_IMAGE_SIDE`` pixels, and
saved without any metadata, so a phone photo's GPS position (EXIF tag 0x8825) never reaches the
archive (个人信息保护法). Documents are accepted by extension
*and* by their first bytes (``%PDF-``; a ZIP with the Office part for .docx/.xlsx/.pptx; text
without NUL bytes that decodes as UTF-8 or GB18030 for .txt).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from cloudbranch.core import images as core_images
from cloudbranch.core.documents import OFFICE_PARTS, matches_extension
from cloudbranch.core.errors import DomainError

from .choices import AttachmentKind

MB = core_images.MB
MAX_IMAGE_BYTES = core_images.MAX_IMAGE_BYTES
MAX_DOCUMENT_BYTES = 20 * MB
MAX_IMAGE_SIDE = 2048
MAX_IMAGE_PIXELS = core_images.MAX_IMAGE_PIXELS

IMAGE_FORMATS = core_images.IMAGE_FORMATS
IMAGE_EXTENSIONS = core_images.IMAGE_EXTENSIONS
DOCUMENT_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".txt": "text/plain; charset=utf-8",
}
# The folder every Office Open XML package of that kind carries.
ALLOWED_HINT = (
    "允许上传的类型：图片（JPG、PNG、WebP，不超过 10 MB）和文件（PDF、DOCX、XLSX、PPTX、TXT，不超过 20 MB）。"
)


@dataclass(frozen=True)
class CleanFile:
    kind: str
    name: str
    content_type: str
    data: bytes


def _refuse(message: str) -> DomainError:
    return core_images.refuse(message, field="file")


def _read_all(uploaded_file) -> bytes:
    if hasattr(uploaded_file, "seek"):
        uploaded_file.seek(0)
    return uploaded_file.read()


def clean_upload(uploaded_file) -> CleanFile:
    """Check an uploaded file and return what may be stored, or raise DomainError (field ``file``)."""
    original = os.path.basename(getattr(uploaded_file, "name", "") or "").strip() or "附件"
    size = getattr(uploaded_file, "size", None)
    ext = os.path.splitext(original)[1].lower()
    if ext in DOCUMENT_TYPES:
        if size is not None and size > MAX_DOCUMENT_BYTES:
            raise _refuse(f"文件“{original}”超过 20 MB，不能上传。")
        data = _read_all(uploaded_file)
        if len(data) > MAX_DOCUMENT_BYTES:
            raise _refuse(f"文件“{original}”超过 20 MB，不能上传。")
        _check_document(ext, data, original)
        return CleanFile(AttachmentKind.DOCUMENT, original, DOCUMENT_TYPES[ext], data)
    # Anything else must be an image, whatever its name says.
    if size is not None and size > MAX_IMAGE_BYTES:
        raise _refuse(f"图片“{original}”超过 10 MB，不能上传。")
    data = _read_all(uploaded_file)
    if len(data) > MAX_IMAGE_BYTES:
        raise _refuse(f"图片“{original}”超过 10 MB，不能上传。")
    return clean_image(data, original)


def _check_document(ext: str, data: bytes, original: str) -> None:
    bad = _refuse(f"文件“{original}”的内容与扩展名 {ext} 不符，不能上传。")
    if not data:
        raise _refuse(f"文件“{original}”是空文件。")
    if ext == ".pdf" or ext in OFFICE_PARTS:
        if not matches_extension(ext, data):
            raise bad
    elif ext == ".txt":
        if b"\x00" in data:
            raise bad
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise bad


def clean_image(data: bytes, original: str) -> CleanFile:
    """Open with Pillow (JPEG, PNG or WebP only), orient, downscale, re-encode without metadata
    (``cloudbranch.core.images.clean_image``)."""
    clean = core_images.clean_image(data, original, max_side=MAX_IMAGE_SIDE, field="file", hint=ALLOWED_HINT)
    return CleanFile(AttachmentKind.IMAGE, clean.name, clean.content_type, clean.data)
